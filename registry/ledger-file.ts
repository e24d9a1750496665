import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { checkRegistry, type FlagDefinition, type RetiredFlag } from './index.js';
import { checkLedger, LEDGER_COMMAND, renderLedger, updateLedger, type LedgerEntry } from './ledger-check.js';

export interface LedgerCommand {
  /** The ledger file to rewrite; `ledger` is its current content. */
  readonly path: string;
  /** Change nothing; fail when the file would change. */
  readonly check: boolean;
  readonly flags: readonly FlagDefinition[];
  readonly retired: readonly RetiredFlag[];
  readonly ledger: readonly LedgerEntry[];
  readonly today: string;
}

export interface LedgerCommandResult {
  readonly status: 0 | 1;
  readonly output: string[];
  readonly errors: string[];
}

/** Brings the ledger file up to date with the registry, or with `check` only reports what that would do. */
export async function syncLedgerFile({
  path,
  check,
  flags,
  retired,
  ledger,
  today,
}: LedgerCommand): Promise<LedgerCommandResult> {
  const registryErrors = checkRegistry(flags, retired, today, ledger).errors;
  if (registryErrors.length > 0)
    return { status: 1, output: [], errors: ['the registry is invalid:', ...registryErrors] };

  const update = updateLedger(ledger, flags, retired, today);
  const text = renderLedger(update.ledger);
  const current = await readFile(path, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  const changed = current !== text;
  const name = relative(process.cwd(), path) || path;
  const byKey = new Map(update.ledger.map((entry) => [entry.key, entry]));
  const output = [
    ...update.added.map(
      (key) => `${check ? 'would add' : 'added'} '${key}' (first seen ${byKey.get(key)?.first_seen})`,
    ),
    ...update.retired.map((key) => `${check ? 'would mark' : 'marked'} '${key}' retired (${byKey.get(key)?.retired})`),
  ];
  if (!changed) output.push('ledger is up to date');
  else if (output.length === 0) output.push(`${check ? 'would rewrite' : 'rewrote'} ${name} in its generated form`);

  const errors: string[] = [];
  if (check && changed) errors.push(`${name} is out of date: run \`${LEDGER_COMMAND}\` and commit it`);
  if (!check && changed) await writeFile(path, text);
  errors.push(...checkLedger(flags, retired, update.ledger));
  return { status: errors.length > 0 ? 1 : 0, output, errors };
}
