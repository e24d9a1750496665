import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../service/table.js';
import { PROJECT_ROOT } from '../project.js';
import { freePort } from './ports.js';

const execFileAsync = promisify(execFile);

const SIMULATOR_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const JAR_NAME = 'DynamoDBLocal.jar';
const LIB_DIR_NAME = 'DynamoDBLocal_lib';
const START_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 3_000;
const OUTPUT_TAIL_LINES = 20;

/**
 * How DynamoDB Local is served: its own handler on 127.0.0.1 only, for requests addressed to
 * 127.0.0.1 or localhost (its command line listens on every interface and answers any Host).
 */
const LOOPBACK_CONFIG = path.join(PROJECT_ROOT, 'lib', 'local', 'dynamodb-local.xml');
/** Jetty's start-up and INFO lines off, as DynamoDB Local's own launcher sets them. */
const JETTY_QUIET = ['-Dorg.eclipse.jetty.LEVEL=WARN', '-Dorg.eclipse.jetty.util.log.announce=false'];

/** Where DynamoDB Local is cached when no directory is given: `<project root>/.cache/dynamodb-local`. */
export const DEFAULT_DYNAMODB_LOCAL_DIR = path.join(PROJECT_ROOT, '.cache', 'dynamodb-local');

/** The one-line message thrown when Java cannot be run. */
export const JAVA_REQUIRED_MESSAGE =
  "Java 17 or newer is required to run DynamoDB Local: install it with 'apt-get install -y openjdk-17-jre-headless' (Debian/Ubuntu) or your platform's JDK.";

/** A running DynamoDB Local process. */
export interface DynamoDbLocalHandle {
  /** HTTP endpoint for SDK clients, e.g. `http://127.0.0.1:8000`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s); resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions {
  /** Port to listen on; 0 or undefined picks a free one. */
  port?: number;
  /** Directory for the database file (created if missing). Mutually exclusive with `inMemory`. */
  dataDir?: string;
  /** Keep data in memory only. The default when no `dataDir` is given. */
  inMemory?: boolean;
  /** Where DynamoDB Local is cached; see {@link ensureDynamoDbLocal}. */
  cacheDir?: string;
}

const downloads = new Map<string, Promise<string>>();

function isInstalled(dir: string): boolean {
  return existsSync(path.join(dir, JAR_NAME)) && existsSync(path.join(dir, LIB_DIR_NAME));
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    return typeof stderr === 'string' && stderr.trim() !== ''
      ? `${error.message.trim()}\n${stderr.trim()}`
      : error.message;
  }
  return String(error);
}

/**
 * Returns a directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`, fetching them once
 * from the npm registry (the `emulator/` folder of `amplify-dynamodb-simulator`, via `npm pack`,
 * never `npm install`) when missing. The download is extracted beside the cache dir and renamed
 * into place, so concurrent callers never see a half-extracted directory.
 */
export async function ensureDynamoDbLocal(cacheDir: string = DEFAULT_DYNAMODB_LOCAL_DIR): Promise<string> {
  const dir = path.resolve(cacheDir);
  if (isInstalled(dir)) return dir;
  let pending = downloads.get(dir);
  if (pending === undefined) {
    pending = download(dir).finally(() => downloads.delete(dir));
    downloads.set(dir, pending);
  }
  return pending;
}

async function download(dir: string): Promise<string> {
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true });
  const work = await mkdtemp(path.join(parent, `.${path.basename(dir)}-tmp-`));
  try {
    process.stderr.write('Fetching DynamoDB Local (57 MB, once) from the npm registry...\n');
    try {
      await execFileAsync('npm', ['pack', SIMULATOR_PACKAGE, '--pack-destination', work, '--silent'], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      throw new Error(`Could not fetch ${SIMULATOR_PACKAGE} with 'npm pack': ${errorMessage(error)}`);
    }
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`'npm pack ${SIMULATOR_PACKAGE}' produced no tarball in ${work}`);
    try {
      await execFileAsync('tar', ['-xzf', path.join(work, tarball), '-C', work, 'package/emulator']);
    } catch (error) {
      throw new Error(`Could not extract package/emulator from ${tarball}: ${errorMessage(error)}`);
    }
    const extracted = path.join(work, 'package', 'emulator');
    if (!isInstalled(extracted)) {
      throw new Error(`${tarball} has no emulator/${JAR_NAME} and emulator/${LIB_DIR_NAME}/`);
    }
    try {
      await rename(extracted, dir);
    } catch (error) {
      // Another caller finished first and its complete copy is already in place.
      if (!isInstalled(dir)) throw error;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (!isInstalled(dir)) throw new Error(`DynamoDB Local is missing from ${dir} after download`);
  return dir;
}

/**
 * Throws an Error with a one-line install hint unless `java -version` runs and reports Java 17
 * or newer.
 */
export async function assertJava(): Promise<void> {
  let output: string;
  try {
    const { stdout, stderr } = await execFileAsync('java', ['-version']);
    output = `${stderr}\n${stdout}`;
  } catch {
    throw new Error(JAVA_REQUIRED_MESSAGE);
  }
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (match === null) return;
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < 17) throw new Error(`${JAVA_REQUIRED_MESSAGE} Found Java ${major}.`);
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Cannot start DynamoDB Local: port ${port} is already in use`
            : `Cannot start DynamoDB Local on port ${port}: ${error.message}`,
        ),
      );
    });
    server.listen(port, () => server.close(() => resolve()));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SDK client settings for a local endpoint: region `local` and dummy credentials. */
export function localDynamoDbClientConfig(endpoint: string): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/**
 * Starts DynamoDB Local (one database for every client, as `-sharedDb`; in memory or on `dataDir`)
 * on 127.0.0.1 only, answering requests addressed to 127.0.0.1 or localhost, and resolves once it
 * answers ListTables. Rejects with the tail of its output if it exits early or does not answer in 30 s.
 * The process is killed when the parent process exits.
 */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocalHandle> {
  if (options.inMemory === true && options.dataDir !== undefined) {
    throw new Error('startDynamoDbLocal: pass either inMemory or dataDir, not both');
  }
  await assertJava();
  const dir = await ensureDynamoDbLocal(options.cacheDir);

  let port: number;
  if (options.port === undefined || options.port === 0) {
    port = await freePort();
  } else {
    port = options.port;
    await assertPortFree(port);
  }

  const args = [
    `-Djava.library.path=${path.join(dir, LIB_DIR_NAME)}`,
    ...JETTY_QUIET,
    '-cp',
    path.join(dir, JAR_NAME),
    'org.eclipse.jetty.xml.XmlConfiguration',
    // An argument holding '=' is a property to Jetty, not a file: the file is named by its URL.
    pathToFileURL(LOOPBACK_CONFIG).href.replaceAll('=', '%3D'),
    `port=${port}`,
  ];
  let cwd = dir;
  if (options.dataDir === undefined) {
    args.push('inMemory=true');
  } else {
    const dataDir = path.resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true });
    args.push(`dbPath=${dataDir}`);
    cwd = dataDir;
  }

  const child: ChildProcess = spawn('java', args, {
    cwd,
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const outputTail = (): string => (tail.length === 0 ? '(no output)' : tail.join('\n'));

  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      process.removeListener('exit', killOnExit);
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      if (child.pid === undefined) {
        process.removeListener('exit', killOnExit);
        resolve();
      }
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo !== undefined || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...localDynamoDbClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (spawnError !== undefined && child.pid === undefined) {
        throw new Error(`Could not run java to start DynamoDB Local: ${spawnError.message}`);
      }
      if (exitInfo !== undefined) {
        const how = exitInfo.signal !== null ? `signal ${exitInfo.signal}` : `code ${exitInfo.code}`;
        throw new Error(`DynamoDB Local exited early (${how}) on port ${port}. Last output:\n${outputTail()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        // Not answering yet.
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${START_TIMEOUT_MS / 1000} s. Last output:\n${outputTail()}`,
        );
      }
      await sleep(POLL_INTERVAL_MS);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }

  return { endpoint, port, stop };
}

/**
 * Creates `tableName` with the declared flag table schema unless it already exists, then waits
 * until the table and its indexes are ACTIVE.
 */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient(localDynamoDbClientConfig(endpoint));
  try {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (error) {
      if (!(
        error instanceof ResourceInUseException || (error as Error | undefined)?.name === 'ResourceInUseException'
      )) {
        throw error;
      }
    }
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
      if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
      if (Date.now() >= deadline) {
        throw new Error(`Table ${tableName} on ${endpoint} is not ACTIVE after ${START_TIMEOUT_MS / 1000} s`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    client.destroy();
  }
}
