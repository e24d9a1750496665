import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The file, in DATA_DIR, naming the process of the local stack that runs DynamoDB Local on that data. */
export const OWNER_FILE = 'local-stack.pid';
const STOP_GRACE_MS = 10_000;
const POLL_MS = 100;

/** A DynamoDB Local process, as `ps` lists it. */
export interface EngineProcess {
  readonly pid: number;
  readonly ppid: number;
}

/** The running DynamoDB Local processes whose database directory is `dbPath` (none where `ps` is missing). */
export async function enginesOn(dbPath: string): Promise<EngineProcess[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('ps', ['-ww', '-eo', 'pid=,ppid=,args='], { maxBuffer: 16 * 1024 * 1024 }));
  } catch {
    return [];
  }
  // `dbPath=DIR` as lib/local/dynamodb-local.ts starts it; `-dbPath DIR` as releases before it did.
  const flags = [` dbPath=${path.resolve(dbPath)}`, ` -dbPath ${path.resolve(dbPath)}`];
  const names = (args: string) => flags.some((flag) => args.endsWith(flag) || args.includes(`${flag} `));
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .filter(([, , , args]) => args?.includes('DynamoDBLocal.jar') && names(args))
    .map(([, pid, ppid]) => ({ pid: Number(pid), ppid: Number(ppid) }));
}

/**
 * Makes this process the one local stack on `dataDir`'s database before it starts DynamoDB Local
 * there. A stack killed with SIGKILL cannot stop its DynamoDB Local, which keeps running, holding
 * its port and the database files; such an engine is stopped here as a clean stop would, with
 * SIGTERM (a SIGKILL can lose a write it acknowledged), and only killed if it does not exit within
 * 10 s. An engine whose parent is the stack named in `DATA_DIR/local-stack.pid` belongs to a stack
 * that is still running: that is an error, not something to stop. Returns the release of the
 * claim, for a clean stop.
 */
export async function claimDataDir(
  dataDir: string,
  dbPath: string,
  log: (line: string) => void = () => undefined,
): Promise<() => Promise<void>> {
  const ownerFile = path.join(dataDir, OWNER_FILE);
  const owner = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
  const engines = await enginesOn(dbPath);
  const running = engines.find((engine) => engine.ppid === owner && owner !== process.pid);
  if (running) {
    throw new Error(
      `${dataDir} is used by the local stack running as process ${owner}; stop it first, or give this one another DATA_DIR`,
    );
  }
  for (const engine of engines) {
    log(
      `[dynamodb] DynamoDB Local (process ${engine.pid}) is still running on ${dbPath}, left by a local stack that did not stop; stopping it`,
    );
    await stopEngine(engine.pid, dbPath, log);
  }
  await mkdir(dataDir, { recursive: true });
  await writeFile(ownerFile, `${process.pid}\n`);
  return async () => {
    const current = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
    if (current === process.pid) await rm(ownerFile, { force: true });
  };
}

/** Stops an engine and waits until `ps` no longer lists it on `dbPath` (an exited process not yet reaped is listed without its arguments). */
async function stopEngine(pid: number, dbPath: string, log: (line: string) => void): Promise<void> {
  const alive = async () => (await enginesOn(dbPath)).some((engine) => engine.pid === pid);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while ((await alive()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  if (!(await alive())) return;
  log(
    `[dynamodb] DynamoDB Local (process ${pid}) did not stop within ${STOP_GRACE_MS / 1000} s; killing it (its last writes may be lost)`,
  );
  signal('SIGKILL');
  const killDeadline = Date.now() + STOP_GRACE_MS;
  while ((await alive()) && Date.now() < killDeadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  if (await alive()) throw new Error(`DynamoDB Local (process ${pid}) on ${dbPath} cannot be stopped; stop it by hand`);
}
