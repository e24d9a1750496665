import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { FLAG_TYPES_COMMAND, FLAG_TYPES_FILE, flagTypesSource } from '../lib/flags-cli/flag-types.js';
import { PROJECT_ROOT } from '../lib/project.js';
import { loadRegistry } from '../registry/index.js';

const file = join(PROJECT_ROOT, FLAG_TYPES_FILE);
let check: boolean;
try {
  ({ check } = parseArgs({ options: { check: { type: 'boolean', default: false } }, strict: true }).values);
} catch (error) {
  process.stderr.write(
    `flags:types: ${error instanceof Error ? error.message : String(error)}\nUsage: ${FLAG_TYPES_COMMAND} [-- --check]\n`,
  );
  process.exit(2);
}

let text: string;
try {
  text = flagTypesSource(loadRegistry());
} catch (error) {
  process.stderr.write(`flags:types: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

if (check) {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current !== text) {
    const problem = current === undefined ? 'is missing' : 'differs from what registry/flags.ts generates';
    process.stderr.write(`${FLAG_TYPES_FILE} ${problem}; run \`${FLAG_TYPES_COMMAND}\` and commit the result.\n`);
    process.exitCode = 1;
  } else process.stdout.write(`${FLAG_TYPES_FILE} is up to date.\n`);
} else {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  process.stdout.write(`Wrote ${FLAG_TYPES_FILE}.\n`);
}
