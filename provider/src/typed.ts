import type { Client, EvaluationDetails } from '@openfeature/server-sdk';
import { FLAG_DEFAULTS, type FlagKey } from './generated/flags.js';

/** Boolean flags of one OpenFeature client, by org, with keys checked against the registry at compile time. */
export interface TypedFlags {
  /** Whether the flag is on for the org; the registry default when the flag cannot be evaluated. */
  isEnabled(orgId: string, key: FlagKey): Promise<boolean>;
  /** The flag's evaluation for the org: value, reason, and error code when it fell back to the registry default. */
  details(orgId: string, key: FlagKey): Promise<EvaluationDetails<boolean>>;
}

/**
 * Typed access to the registry's flags through `client`. The org id is the evaluation context's
 * `targetingKey`; the code default is the flag's registry default (`FLAG_DEFAULTS`).
 *
 * @example
 * const flags = flagsFor(OpenFeature.getClient());
 * if (await flags.isEnabled(orgId, 'chat')) { ... }
 */
export function flagsFor(client: Client): TypedFlags {
  return {
    isEnabled: (orgId, key) => client.getBooleanValue(key, FLAG_DEFAULTS[key], { targetingKey: orgId }),
    details: (orgId, key) => client.getBooleanDetails(key, FLAG_DEFAULTS[key], { targetingKey: orgId }),
  };
}
