import { createHash } from 'node:crypto';
import { FLAGS } from './flags.js';
import { LEDGER } from './ledger.js';
import { retiredInLedger, type LedgerEntry } from './ledger-check.js';
import { RETIRED } from './retired.js';
import { flagDefinitionSchema, retiredFlagSchema, type FlagDefinition, type RetiredFlag } from './schema.js';

export type { FlagDefinition, RetiredFlag } from './schema.js';
export { FLAG_KEY_PATTERN, flagKeySchema } from './schema.js';

/** The validated registry: flags in order, retired keys, and the content hash that is its version. */
export interface Registry {
  readonly version: string;
  readonly flags: readonly FlagDefinition[];
  readonly retired: readonly RetiredFlag[];
  /** Registry lookup by key. */
  readonly byKey: ReadonlyMap<string, FlagDefinition>;
  /** Temporary flags whose `cleanup_after` date has passed, as human-readable notes. */
  readonly warnings: readonly string[];
}

/** What a registry check found: errors make the registry unusable, warnings are reported. */
export interface RegistryReport {
  readonly errors: string[];
  readonly warnings: string[];
}

/**
 * Checks raw registry data: shape of each entry, duplicate and reused keys, past-due cleanup.
 * Of the ledger only its retirements are checked here; a stale ledger must not stop the service.
 */
export function checkRegistry(
  flags: readonly unknown[],
  retired: readonly unknown[],
  today: string,
  ledger: readonly LedgerEntry[] = LEDGER,
): RegistryReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  const describe = (entry: unknown, index: number): string => {
    const key = typeof entry === 'object' && entry !== null && 'key' in entry ? String(entry.key) : undefined;
    return key ? `flag '${key}'` : `flag #${index + 1}`;
  };

  flags.forEach((entry, index) => {
    const parsed = flagDefinitionSchema.safeParse(entry);
    if (!parsed.success) {
      const reasons = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'entry'}: ${issue.message}`);
      errors.push(`${describe(entry, index)}: ${[...new Set(reasons)].join('; ')}`);
      return;
    }
    const flag = parsed.data;
    if (seen.has(flag.key)) errors.push(`flag '${flag.key}': duplicate key`);
    seen.add(flag.key);
    if (flag.cleanup_after !== undefined && flag.cleanup_after < today) {
      warnings.push(`flag '${flag.key}': cleanup_after ${flag.cleanup_after} has passed (owner: ${flag.owner})`);
    }
  });

  const retiredKeys = new Set<string>();
  retired.forEach((entry, index) => {
    const parsed = retiredFlagSchema.safeParse(entry);
    if (!parsed.success) {
      errors.push(`retired #${index + 1}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return;
    }
    if (retiredKeys.has(parsed.data.key)) errors.push(`retired key '${parsed.data.key}': listed twice`);
    retiredKeys.add(parsed.data.key);
    if (seen.has(parsed.data.key)) errors.push(`flag '${parsed.data.key}': key is retired and cannot be reused`);
  });

  for (const key of retiredInLedger(ledger)) {
    if (seen.has(key) && !retiredKeys.has(key)) {
      errors.push(`flag '${key}': registry/ledger.ts records the key as retired, so it cannot be reused: give the flag a new key and keep the retired entry in registry/retired.ts`);
    }
  }

  return { errors, warnings };
}

/** Hash of the registry's content: the same flags and retired keys give the same version. */
export function registryVersion(flags: readonly FlagDefinition[], retired: readonly RetiredFlag[]): string {
  const canonical = JSON.stringify({ flags: flags.map(sortKeys), retired: retired.map(sortKeys) });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

// By code unit, not localeCompare: its first call loads ICU's collation data, which costs every
// function's cold start about 15 ms of CPU. The keys are snake_case ASCII: both orders agree.
function sortKeys(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Validates the data and builds a registry; throws listing every error when the data is invalid. */
export function buildRegistry(
  flags: readonly unknown[],
  retired: readonly unknown[],
  today: string = new Date().toISOString().slice(0, 10),
  ledger: readonly LedgerEntry[] = LEDGER,
): Registry {
  const report = checkRegistry(flags, retired, today, ledger);
  if (report.errors.length > 0) {
    throw new Error(`Invalid feature flag registry:\n- ${report.errors.join('\n- ')}`);
  }
  const validFlags = flags.map((entry) => flagDefinitionSchema.parse(entry));
  const validRetired = retired.map((entry) => retiredFlagSchema.parse(entry));
  return {
    version: registryVersion(validFlags, validRetired),
    flags: validFlags,
    retired: validRetired,
    byKey: new Map(validFlags.map((flag) => [flag.key, flag])),
    warnings: report.warnings,
  };
}

let loaded: Registry | undefined;

/** The project's registry, validated once per process. */
export function loadRegistry(): Registry {
  loaded ??= buildRegistry(FLAGS, RETIRED);
  return loaded;
}
