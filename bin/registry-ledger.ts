import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/project.js';
import { FLAGS } from '../registry/flags.js';
import { LEDGER_COMMAND, LEDGER_FILE } from '../registry/ledger-check.js';
import { syncLedgerFile } from '../registry/ledger-file.js';
import { LEDGER } from '../registry/ledger.js';
import { RETIRED } from '../registry/retired.js';

const USAGE = `Usage: ${LEDGER_COMMAND} [-- --check]`;

let check: boolean;
try {
  check = parseArgs({ options: { check: { type: 'boolean', default: false } }, strict: true }).values.check === true;
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}
const today = new Date().toISOString().slice(0, 10);
const result = await syncLedgerFile({
  path: join(PROJECT_ROOT, LEDGER_FILE),
  check,
  flags: FLAGS,
  retired: RETIRED,
  ledger: LEDGER,
  today,
});
for (const line of result.output) process.stdout.write(`${line}\n`);
for (const line of result.errors) process.stderr.write(`${line}\n`);
process.exitCode = result.status;
