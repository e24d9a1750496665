import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const USAGE = `Usage: npx tsx bin/stack-outputs.ts --file cdk-outputs.json --stack STACK --key PART

Prints the value of the one output of STACK, in the file \`cdk deploy --outputs-file\` wrote,
whose key contains PART. CDK prefixes an output's key with its construct path and suffixes a
hash (the API URL is \`ApiApiUrl<hash>\`), so PART is matched as a substring.
Exit status: 0 printed, 1 no such file, stack or output (or more than one matches), 2 bad arguments.`;

const argsSchema = z.object({
  file: z.string({ error: '--file is required' }).min(1, '--file is required'),
  stack: z.string({ error: '--stack is required' }).min(1, '--stack is required'),
  key: z.string({ error: '--key is required' }).min(1, '--key is required'),
});

/** The outputs file: stack name to output key to value. */
const outputsFileSchema = z.record(z.string(), z.record(z.string(), z.string()));

function fail(status: 1 | 2, message: string): never {
  process.stderr.write(`stack-outputs: ${message}\n${status === 2 ? `\n${USAGE}\n` : ''}`);
  process.exit(status);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      file: { type: 'string' },
      stack: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(2, error instanceof Error ? error.message : String(error));
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const args = argsSchema.safeParse({ file: values.file, stack: values.stack, key: values.key });
if (!args.success) fail(2, z.prettifyError(args.error));
const { file, stack, key } = args.data;

let parsed: unknown;
try {
  parsed = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  fail(1, `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
}
const outputs = outputsFileSchema.safeParse(parsed);
if (!outputs.success) fail(1, `${file} is not a cdk outputs file (stack name -> output key -> string value)`);

const stackOutputs = outputs.data[stack];
if (!stackOutputs) fail(1, `no stack ${stack} in ${file}; stacks: ${Object.keys(outputs.data).join(', ') || 'none'}`);
const matches = Object.entries(stackOutputs).filter(([name]) => name.includes(key));
const [match] = matches;
if (!match || matches.length > 1) {
  const found =
    matches.length === 0 ? 'no output' : `${matches.length} outputs (${matches.map(([name]) => name).join(', ')})`;
  fail(
    1,
    `${found} of ${stack} with a key containing '${key}'; keys: ${Object.keys(stackOutputs).join(', ') || 'none'}`,
  );
}
process.stdout.write(`${match[1]}\n`);
