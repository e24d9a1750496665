import * as z from 'zod/mini';
import { FLAGS } from './flags.js';
import { LEDGER } from './ledger.js';
import { ORG_ATTRIBUTES } from './org-attributes.js';
import { retiredInLedger, type LedgerEntry } from './ledger-check.js';
import { cleanupWarnings, registryOf, type Registry } from './registry.js';
import { RETIRED } from './retired.js';
import {
  flagDefinitionSchema,
  orgAttributeDefinitionSchema,
  retiredFlagSchema,
  type FlagDefinition,
  type OrgAttributeDefinition,
  type RetiredFlag,
} from './schema.js';

export type { FlagDefinition, OrgAttributeDefinition, RetiredFlag } from './schema.js';
export { FLAG_KEY_PATTERN, flagKeySchema } from './schema.js';
export { registryVersion, type OrgAttributes, type Registry } from './registry.js';

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
  attributes: readonly unknown[] = ORG_ATTRIBUTES,
): RegistryReport {
  const errors: string[] = [];
  const valid: FlagDefinition[] = [];
  const seen = new Set<string>();
  const describe = (entry: unknown, index: number): string => {
    const key = typeof entry === 'object' && entry !== null && 'key' in entry ? String(entry.key) : undefined;
    return key ? `flag '${key}'` : `flag #${index + 1}`;
  };

  flags.forEach((entry, index) => {
    const parsed = flagDefinitionSchema.safeParse(entry);
    if (!parsed.success) {
      errors.push(`${describe(entry, index)}:\n${z.prettifyError(parsed.error)}`);
      return;
    }
    const flag = parsed.data;
    if (seen.has(flag.key)) errors.push(`flag '${flag.key}': duplicate key`);
    seen.add(flag.key);
    valid.push(flag);
  });

  const retiredKeys = new Set<string>();
  retired.forEach((entry, index) => {
    const parsed = retiredFlagSchema.safeParse(entry);
    if (!parsed.success) {
      errors.push(`retired #${index + 1}:\n${z.prettifyError(parsed.error)}`);
      return;
    }
    if (retiredKeys.has(parsed.data.key)) errors.push(`retired key '${parsed.data.key}': listed twice`);
    retiredKeys.add(parsed.data.key);
    if (seen.has(parsed.data.key)) errors.push(`flag '${parsed.data.key}': key is retired and cannot be reused`);
  });

  for (const key of retiredInLedger(ledger)) {
    if (seen.has(key) && !retiredKeys.has(key)) {
      errors.push(
        `flag '${key}': registry/ledger.ts records the key as retired, so it cannot be reused: give the flag a new key and keep the retired entry in registry/retired.ts`,
      );
    }
  }

  return { errors: [...errors, ...checkOrgAttributes(attributes)], warnings: cleanupWarnings(valid, today) };
}

/** Checks the declared org attributes: shape of each entry and duplicate names. */
export function checkOrgAttributes(attributes: readonly unknown[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  attributes.forEach((entry, index) => {
    const parsed = orgAttributeDefinitionSchema.safeParse(entry);
    if (!parsed.success) {
      const name = typeof entry === 'object' && entry !== null && 'name' in entry ? String(entry.name) : undefined;
      errors.push(
        `${name ? `org attribute '${name}'` : `org attribute #${index + 1}`}:\n${z.prettifyError(parsed.error)}`,
      );
      return;
    }
    if (seen.has(parsed.data.name)) errors.push(`org attribute '${parsed.data.name}': declared twice`);
    seen.add(parsed.data.name);
  });
  return errors;
}

/** Validates the data and builds a registry of it, as written; throws listing every error when the data is invalid. */
export function buildRegistry(
  flags: readonly unknown[],
  retired: readonly unknown[],
  today: string = new Date().toISOString().slice(0, 10),
  ledger: readonly LedgerEntry[] = LEDGER,
  attributes: readonly unknown[] = ORG_ATTRIBUTES,
): Registry {
  const report = checkRegistry(flags, retired, today, ledger, attributes);
  if (report.errors.length > 0) {
    const list = report.errors.map((error) => `- ${error.replaceAll('\n', '\n  ')}`);
    throw new Error(`Invalid feature flag registry:\n${list.join('\n')}`);
  }
  return registryOf(
    flags as readonly FlagDefinition[],
    retired as readonly RetiredFlag[],
    today,
    attributes as readonly OrgAttributeDefinition[],
  );
}

let loaded: Registry | undefined;

/**
 * The project's registry, validated once per process. The functions do not call this: they take
 * the registry as written (lambdas/shared/registry.ts), checked by this call where they are built
 * or started (`handlerEntryPath` in lib/service/handlers.ts) and in the tests.
 */
export function loadRegistry(): Registry {
  loaded ??= buildRegistry(FLAGS, RETIRED);
  return loaded;
}
