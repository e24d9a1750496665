import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/project.js';
import { FLAGS } from '../registry/flags.js';
import { checkRegistry, type FlagDefinition, type RetiredFlag } from '../registry/index.js';
import { checkLedger, LEDGER_COMMAND, LEDGER_FILE, renderLedger, updateLedger, type LedgerEntry } from '../registry/ledger-check.js';
import { LEDGER } from '../registry/ledger.js';
import { RETIRED } from '../registry/retired.js';

const USAGE = `Usage: ${LEDGER_COMMAND} [-- --check]`;

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
export async function syncLedgerFile({ path, check, flags, retired, ledger, today }: LedgerCommand): Promise<LedgerCommandResult> {
  const registryErrors = checkRegistry(flags, retired, today, ledger).errors;
  if (registryErrors.length > 0) return { status: 1, output: [], errors: ['the registry is invalid:', ...registryErrors] };

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
    ...update.added.map((key) => `${check ? 'would add' : 'added'} '${key}' (first seen ${byKey.get(key)?.first_seen})`),
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

async function isMain(): Promise<boolean> {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(await realpath(script).catch(() => script)).href;
}

if (await isMain()) {
  let check: boolean;
  try {
    check = parseArgs({ options: { check: { type: 'boolean', default: false } }, strict: true }).values.check === true;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  const today = new Date().toISOString().slice(0, 10);
  const path = join(PROJECT_ROOT, LEDGER_FILE);
  const result = await syncLedgerFile({ path, check, flags: FLAGS, retired: RETIRED, ledger: LEDGER, today });
  for (const line of result.output) process.stdout.write(`${line}\n`);
  for (const line of result.errors) process.stderr.write(`${line}\n`);
  process.exitCode = result.status;
}
