export {
  OrgFeatureFlagsProvider,
  DEFAULT_MAX_ORGS,
  DEFAULT_TTL_MS,
  type OrgFeatureFlagsProviderOptions,
  type OrgFeatureFlagsProviderStats,
} from './provider.js';
export type { OrgFlag, TokenSource } from './ofrep-client.js';
export { orgIdOfChange, FEATURE_FLAG_CHANGED, CHANGE_EVENT_SOURCE, type Invalidatable } from './changes.js';
export { followLocalEvents, defaultLocalEventsFile } from './local-events.js';
export { flagsFor, type TypedFlags } from './typed.js';
export { FLAG_KEYS, FLAG_DEFAULTS, INTERNAL_FLAG_KEYS, REGISTRY_VERSION, type FlagKey } from './generated/flags.js';
