import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../lib/project.js';

// The examples under provider/examples are what a consuming service would write; they are run here
// by the real runners, as child processes, each with its own config.

const run = promisify(execFile);
const EXPECTED_TESTS = [
  'editorFor gives an org the composer by default',
  'editorFor gives the textarea to an org with the composer off',
  'editorFor gives the composer back when it is turned on again',
  'editorFor only takes flag keys of the registry',
];

/** The part of jest's `--json` result (which vitest's json reporter also writes) that is checked. */
interface JsonResult {
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests?: number;
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provider-examples-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `npx <args>` in the project root; resolves with the exit code and output, whatever the code. */
async function npx(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('npx', [...args], {
      cwd: PROJECT_ROOT,
      env,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      output: `${failed.stdout ?? ''}${failed.stderr ?? String(error)}`,
    };
  }
}

function childEnv(nodeOptions: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: nodeOptions, FORCE_COLOR: '0' };
  delete env.JEST_WORKER_ID;
  return env;
}

function summary(result: JsonResult) {
  return {
    files: result.testResults.map((file) => file.name.replace(`${PROJECT_ROOT}/`, '')),
    tests: result.testResults.flatMap((file) => file.assertionResults.map((test) => [test.fullName, test.status])),
    failed: result.numFailedTests,
    skipped: result.numPendingTests + (result.numTodoTests ?? 0),
  };
}

describe('provider/examples', () => {
  it('jest: flags.test.ts passes under jest with provider/examples/jest/jest.config.js', async () => {
    const outputFile = join(dir, 'jest.json');
    const { code, output } = await npx(
      [
        'jest',
        '--config',
        'provider/examples/jest/jest.config.js',
        '--ci',
        '--runInBand',
        '--json',
        '--outputFile',
        outputFile,
      ],
      childEnv('--experimental-vm-modules --no-warnings'),
    );
    if (code !== 0) throw new Error(`jest exited with ${code}:\n${output}`);
    expect(summary(JSON.parse(await readFile(outputFile, 'utf8')) as JsonResult)).toEqual({
      files: ['provider/examples/jest/flags.test.ts'],
      tests: EXPECTED_TESTS.map((name) => [name, 'passed']),
      failed: 0,
      skipped: 0,
    });
  });

  it('vitest: flags.test.ts passes under `vitest run --root provider/examples/vitest`', async () => {
    const outputFile = join(dir, 'vitest.json');
    const { code, output } = await npx(
      ['vitest', 'run', '--root', 'provider/examples/vitest', '--reporter=json', `--outputFile=${outputFile}`],
      childEnv('--no-warnings'),
    );
    if (code !== 0) throw new Error(`vitest exited with ${code}:\n${output}`);
    expect(summary(JSON.parse(await readFile(outputFile, 'utf8')) as JsonResult)).toEqual({
      files: ['provider/examples/vitest/flags.test.ts'],
      tests: EXPECTED_TESTS.map((name) => [name, 'passed']),
      failed: 0,
      skipped: 0,
    });
  });

  it('type-check, so that their @ts-expect-error on a key outside the registry holds', () => {
    const config = ts.readConfigFile(join(PROJECT_ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, PROJECT_ROOT);
    const files = ['provider/examples/jest/flags.test.ts', 'provider/examples/vitest/flags.test.ts'].map((file) =>
      join(PROJECT_ROOT, file),
    );
    const program = ts.createProgram({ rootNames: files, options: { ...options, noEmit: true } });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    expect(diagnostics).toEqual([]);
  });
});
