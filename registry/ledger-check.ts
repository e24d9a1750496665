import * as z from 'zod/mini';
import { flagKeySchema, retiredFlagSchema, type FlagDefinition, type RetiredFlag } from './schema.js';

export const LEDGER_FILE = 'registry/ledger.ts';
export const LEDGER_COMMAND = 'npm run registry:ledger';

const isoDate = retiredFlagSchema.shape.retired;

export const ledgerEntrySchema = z.strictObject({
  key: flagKeySchema,
  first_seen: isoDate,
  retired: z.optional(isoDate),
});

/** One key that was ever in the registry: when it first appeared and, once retired, when it was retired. */
export type LedgerEntry = Readonly<z.infer<typeof ledgerEntrySchema>>;

/** What the ledger needs of a flag; `created` is required by the registry schema. */
export type LedgerFlag = Pick<FlagDefinition, 'key'> & Partial<Pick<FlagDefinition, 'created'>>;
export type LedgerRetired = Pick<RetiredFlag, 'key' | 'retired'>;

export interface LedgerUpdate {
  readonly ledger: readonly LedgerEntry[];
  readonly added: string[];
  readonly retired: string[];
}

const RUN_COMMAND = `run \`${LEDGER_COMMAND}\` and commit ${LEDGER_FILE}`;

/** The keys the ledger records as retired. */
export function retiredInLedger(ledger: readonly LedgerEntry[]): ReadonlySet<string> {
  return new Set(ledger.filter((entry) => entry.retired !== undefined).map((entry) => entry.key));
}

/** Checks the ledger against the registry: every key is recorded, none vanished, none came back. */
export function checkLedger(
  flags: readonly LedgerFlag[],
  retired: readonly LedgerRetired[],
  ledger: readonly unknown[],
): string[] {
  const errors: string[] = [];
  const entries = new Map<string, LedgerEntry>();
  ledger.forEach((raw, index) => {
    const parsed = ledgerEntrySchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(
        `${LEDGER_FILE} entry #${index + 1} is invalid (the file is generated: restore it from git and ${RUN_COMMAND}):\n${z.prettifyError(parsed.error)}`,
      );
      return;
    }
    const entry = parsed.data;
    if (entries.has(entry.key)) {
      errors.push(`key '${entry.key}' is listed twice in ${LEDGER_FILE}: restore the file from git and ${RUN_COMMAND}`);
      return;
    }
    entries.set(entry.key, entry);
  });

  const flagKeys = new Set(flags.map((flag) => flag.key));
  const retiredKeys = new Set(retired.map((entry) => entry.key));
  for (const entry of entries.values()) {
    if (entry.retired !== undefined) {
      if (flagKeys.has(entry.key)) {
        errors.push(
          `flag '${entry.key}' was retired on ${entry.retired} and is in registry/flags.ts again: a retired key can never come back; give the flag a new key`,
        );
      }
      if (!retiredKeys.has(entry.key)) {
        errors.push(
          `retired key '${entry.key}' (retired on ${entry.retired}) is missing from registry/retired.ts: retired keys stay listed; put its entry back`,
        );
      }
    } else if (!flagKeys.has(entry.key) && !retiredKeys.has(entry.key)) {
      errors.push(
        `key '${entry.key}' left the registry without being retired: move it to registry/retired.ts with the date and the reason`,
      );
    }
  }

  for (const key of flagKeys) {
    if (!entries.has(key)) errors.push(`flag '${key}' is not in ${LEDGER_FILE}: ${RUN_COMMAND}`);
  }
  for (const { key } of retired) {
    const entry = entries.get(key);
    if (entry === undefined) errors.push(`retired key '${key}' is not in ${LEDGER_FILE}: ${RUN_COMMAND}`);
    else if (entry.retired === undefined)
      errors.push(`retired key '${key}' is not marked retired in ${LEDGER_FILE}: ${RUN_COMMAND}`);
  }
  return errors;
}

/**
 * Records new keys and retirements. Existing entries are never removed, reordered or un-retired;
 * new keys are appended in first-seen order.
 */
export function updateLedger(
  ledger: readonly LedgerEntry[],
  flags: readonly LedgerFlag[],
  retired: readonly LedgerRetired[],
  today: string,
): LedgerUpdate {
  const known = new Set(ledger.map((entry) => entry.key));
  const fresh: LedgerEntry[] = [];
  const add = (key: string, firstSeen: string): void => {
    if (known.has(key)) return;
    known.add(key);
    fresh.push({ key, first_seen: firstSeen });
  };
  for (const flag of flags) add(flag.key, flag.created ?? today);
  for (const entry of retired) add(entry.key, entry.retired);
  // The sort is stable: keys first seen on the same day keep registry order.
  fresh.sort((a, b) => a.first_seen.localeCompare(b.first_seen));

  const retiredOn = new Map(retired.map((entry) => [entry.key, entry.retired]));
  const newlyRetired: string[] = [];
  const next = [...ledger, ...fresh].map((entry): LedgerEntry => {
    const date = retiredOn.get(entry.key);
    if (entry.retired !== undefined || date === undefined) return entry;
    newlyRetired.push(entry.key);
    return { ...entry, retired: date };
  });
  return { ledger: next, added: fresh.map((entry) => entry.key), retired: newlyRetired };
}

/** The source of `registry/ledger.ts` for a ledger. */
export function renderLedger(ledger: readonly LedgerEntry[]): string {
  const quote = (value: string): string => `'${value.replace(/[\\']/g, '\\$&')}'`;
  const lines = ledger.map((entry) => {
    const retired = entry.retired === undefined ? '' : `, retired: ${quote(entry.retired)}`;
    return `  { key: ${quote(entry.key)}, first_seen: ${quote(entry.first_seen)}${retired} },`;
  });
  return [
    `// Generated by \`${LEDGER_COMMAND}\`: do not edit by hand.`,
    "import type { LedgerEntry } from './ledger-check.js';",
    '',
    '/** Every key that was ever in the registry, in first-seen order. Keys are never removed or reused. */',
    lines.length === 0
      ? 'export const LEDGER: readonly LedgerEntry[] = [];'
      : ['export const LEDGER: readonly LedgerEntry[] = [', ...lines, '];'].join('\n'),
    '',
  ].join('\n');
}
