import { parseFlagsArgs, type FlagsCommandName } from '../lib/flags-cli/options.js';
import { runFlagsCommand, type Output } from '../lib/flags-cli/run.js';

const NAMES: readonly FlagsCommandName[] = ['sync', 'orphans', 'report'];
const [given, ...args] = process.argv.slice(2);
if (!NAMES.includes(given as FlagsCommandName)) {
  process.stderr.write(
    `Usage: tsx bin/flags.ts <${NAMES.join('|')}> [options]; or npm run flags:sync, flags:orphans, flags:report\n`,
  );
  process.exit(2);
}
const name = given as FlagsCommandName;
const parsed = parseFlagsArgs(name, args, process.env);
const interactive = process.stderr.isTTY === true;
const out: Output = {
  interactive,
  line: (text) => process.stdout.write(`${text}\n`),
  progress: (text) => {
    if (interactive) process.stderr.write(`\r\x1b[K${text}`);
    else if (text) process.stderr.write(`${text}\n`);
  },
};

if (parsed.kind === 'help') process.stdout.write(`${parsed.usage}\n`);
else if (parsed.kind === 'error') {
  process.stderr.write(`flags:${name}: ${parsed.message}\n\n${parsed.usage}\n`);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await runFlagsCommand(parsed.command, process.env, out);
  } catch (error) {
    process.stderr.write(`flags:${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
