import { createHash } from 'node:crypto';
import { ORG_ATTRIBUTES } from './org-attributes.js';
import type { FlagDefinition, OrgAttributeDefinition, RetiredFlag } from './schema.js';

// Apart from registry/index.ts, which checks the registry with zod: the functions take the
// registry from here as written, checked already where they were built or started (see
// `handlerEntryPath` in lib/service/handlers.ts), and so load no registry schema.

/** The registry: flags in order, retired keys, and the content hash that is its version. */
export interface Registry {
  readonly version: string;
  readonly flags: readonly FlagDefinition[];
  readonly retired: readonly RetiredFlag[];
  /** Registry lookup by key. */
  readonly byKey: ReadonlyMap<string, FlagDefinition>;
  /** Temporary flags whose `cleanup_after` date has passed, as human-readable notes. */
  readonly warnings: readonly string[];
  /** The declared org attributes. */
  readonly orgAttributes: OrgAttributes;
}

/** The declared org attributes, with the content hash that is their version. */
export interface OrgAttributes {
  readonly version: string;
  readonly definitions: readonly OrgAttributeDefinition[];
  readonly byName: ReadonlyMap<string, OrgAttributeDefinition>;
}

/** A note for each temporary flag whose `cleanup_after` date is before `today`. */
export function cleanupWarnings(flags: readonly FlagDefinition[], today: string): string[] {
  return flags
    .filter((flag) => flag.cleanup_after !== undefined && flag.cleanup_after < today)
    .map((flag) => `flag '${flag.key}': cleanup_after ${flag.cleanup_after} has passed (owner: ${flag.owner})`);
}

/** Hash of the registry's content: the same flags and retired keys give the same version. */
export function registryVersion(flags: readonly FlagDefinition[], retired: readonly RetiredFlag[]): string {
  return contentHash({ flags: flags.map(sortKeys), retired: retired.map(sortKeys) });
}

/** The declared org attributes as written, versioned by their content. */
export function orgAttributesOf(definitions: readonly OrgAttributeDefinition[]): OrgAttributes {
  return {
    version: contentHash({ attributes: definitions.map(sortKeys) }),
    definitions,
    byName: new Map(definitions.map((definition) => [definition.name, definition])),
  };
}

function contentHash(content: object): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
}

// By code unit, not localeCompare: its first call loads ICU's collation data, which costs every
// function's cold start about 15 ms of CPU. The keys are snake_case ASCII: both orders agree.
function sortKeys(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The registry of flags, retired keys and org attributes that passed `checkRegistry` (registry/index.ts), as written. */
export function registryOf(
  flags: readonly FlagDefinition[],
  retired: readonly RetiredFlag[],
  today: string = new Date().toISOString().slice(0, 10),
  attributes: readonly OrgAttributeDefinition[] = ORG_ATTRIBUTES,
): Registry {
  return {
    version: registryVersion(flags, retired),
    flags,
    retired,
    byKey: new Map(flags.map((flag) => [flag.key, flag])),
    warnings: cleanupWarnings(flags, today),
    orgAttributes: orgAttributesOf(attributes),
  };
}
