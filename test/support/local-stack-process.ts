import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../lib/local/ports.js';
import { PROJECT_ROOT } from '../../lib/project.js';

const run = promisify(execFile);

export { freePort } from '../../lib/local/ports.js';

/** The local stack started as a user starts it (`npm start`), in a child process. */
export interface LocalStackProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  output(): string;
  stop(): Promise<void>;
  /** Sends `signal` to the stack's process (`SIGKILL`, as a crash would) and waits until it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `bin/local.ts` with its own ports and data directory and waits for `/health`; `root`
 * runs a copy of the project (see `copyProject`); `env` adds settings.
 */
export async function startLocalStackProcess(
  options: { dataDir?: string; root?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LocalStackProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'off-e2e-')));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DYNAMODB_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  delete env.TABLE_NAME;
  delete env.DYNAMODB_ENDPOINT;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: options.root ?? PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The local stack exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The local stack did not answer /health within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    dataDir,
    env,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A token from the token command, exactly as the README shows it (`npm run -s token -- ...`). */
export async function tokenFor(stack: LocalStackProcess, ...args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', '-s', 'token', '--', ...args], { cwd: PROJECT_ROOT, env: stack.env });
  return stdout.trim();
}

/**
 * A copy of the project's code in a temporary directory (node_modules and the DynamoDB Local
 * cache linked, not copied), for tests that edit the registry as a developer would.
 */
export async function copyProject(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'off-project-'));
  for (const entry of ['bin', 'lib', 'lambdas', 'registry', 'ui', 'package.json', 'tsconfig.json', 'cdk.json']) {
    await cp(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  await mkdir(path.join(PROJECT_ROOT, '.cache'), { recursive: true });
  await symlink(path.join(PROJECT_ROOT, '.cache'), path.join(root, '.cache'));
  return root;
}

/**
 * Asks `probe` every `intervalMs` (50 unless given) until it answers something other than
 * undefined; fails after `timeoutMs`, with what `last` says of the last answer when given.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  options: { last?: () => unknown; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`not within ${timeoutMs} ms${options.last ? `: ${JSON.stringify(options.last())}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
