import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import { loadRegistry } from '../../registry/index.js';
import type { JobView } from '../../lambdas/domain/jobs.js';
import { ADDED_FLAG, seedOrgs } from '../support/jobs.js';
import {
  copyProject,
  startLocalStackProcess,
  tokenFor,
  type LocalStackProcess,
} from '../support/local-stack-process.js';

/*
 * What a developer does to the registry, done to a copy of the project: add a flag, restart the
 * local stack on the same data, flip the default, restart again; and stop the stack while it syncs.
 */

const run = promisify(execFile);
let root: string;
let dataDir: string;
let stack: LocalStackProcess | undefined;

const flagsFile = () => path.join(root, 'registry', 'flags.ts');

/** Appends a flag to the copy's registry, as a developer would edit `registry/flags.ts`. */
async function addFlag(flag: Record<string, unknown>): Promise<void> {
  const source = await readFile(flagsFile(), 'utf8');
  const entry = `  ${JSON.stringify(flag)},\n];`;
  await writeFile(flagsFile(), source.replace(/\n\];\s*$/, `\n${entry}\n`));
}

async function setDefault(key: string, enabled: boolean): Promise<void> {
  const source = await readFile(flagsFile(), 'utf8');
  const pattern = new RegExp(`("key":"${key}"[^}]*"default_enabled":)(true|false)`);
  expect(source).toMatch(pattern);
  await writeFile(flagsFile(), source.replace(pattern, `$1${enabled}`));
}

async function restart(): Promise<{ stack: LocalStackProcess; admin: string }> {
  await stack?.stop();
  stack = await startLocalStackProcess({ root, dataDir });
  return { stack, admin: await tokenFor(stack, '--role', 'admin') };
}

async function call<T>(pathname: string, token: string, method = 'GET'): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack?.url}${pathname}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${stack?.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface MergedFlag {
  key: string;
  user_enabled: boolean;
  is_default: boolean;
  source: string;
}

const flagOf = async (orgId: string, token: string, key: string) =>
  (await call<{ flags: MergedFlag[] }>(`/org-feature-flags/${orgId}`, token)).body.flags.find(
    (flag) => flag.key === key,
  );

/** The newest sync job, once it has ended. */
const finishedSync = (token: string) => async () => {
  const { body } = await call<{ jobs: JobView[] }>('/jobs?limit=5', token);
  const sync = body.jobs.find((job) => job.type === 'sync');
  return sync && sync.status !== 'running' ? sync : undefined;
};

beforeAll(async () => {
  root = await copyProject();
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-registry-change-'));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the registry changes under a running service', () => {
  it('a flag added later gets an explicit row in every existing org within seconds of a restart; flipping its default later changes no existing org', async () => {
    let { admin } = await restart();
    const orgs = ['before-1', 'before-2', 'before-3'];
    for (const orgId of orgs) expect((await call(`/orgs/${orgId}/provision`, admin, 'POST')).status).toBe(201);

    await addFlag({ ...ADDED_FLAG, default_enabled: false });
    ({ admin } = await restart());
    const restarted = Date.now();
    for (const orgId of orgs) {
      const flag = await waitFor(
        async () => {
          const current = await flagOf(orgId, admin, ADDED_FLAG.key);
          return current && !current.is_default ? current : undefined;
        },
        10_000,
        `${orgId} synced`,
      );
      expect(flag).toMatchObject({ is_default: false, source: 'synced', user_enabled: false });
    }
    expect(Date.now() - restarted).toBeLessThan(10_000);

    await setDefault(ADDED_FLAG.key, true);
    ({ admin } = await restart());
    const sync = await waitFor(finishedSync(admin), 15_000, 'the sync at start');
    expect(sync).toMatchObject({ status: 'succeeded', counts: { rows_written: 0 } });
    for (const orgId of orgs)
      expect(await flagOf(orgId, admin, ADDED_FLAG.key)).toMatchObject({
        user_enabled: false,
        source: 'synced',
        is_default: false,
      });
    expect((await call('/orgs/after-1/provision', admin, 'POST')).status).toBe(201);
    expect(await flagOf('after-1', admin, ADDED_FLAG.key)).toMatchObject({
      user_enabled: true,
      source: 'provisioned',
      is_default: false,
    });
  }, 120_000);

  it('a sync stopped part way continues from its checkpoint at the next start, writing each row once', async () => {
    let { stack: running, admin } = await restart();
    await waitFor(finishedSync(admin), 15_000, 'the sync at start');
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient(localDynamoDbClientConfig(`http://127.0.0.1:${running.env.DYNAMODB_PORT}`)),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    );
    const orgIds = await seedOrgs(client, 'org-feature-flags', loadRegistry(), 600, 'many');
    client.destroy();
    await addFlag({ ...ADDED_FLAG, key: 'bulk-import', default_enabled: true });

    ({ stack: running, admin } = await restart());
    const stopped = await waitFor(
      async () => {
        const { body } = await call<{ jobs: JobView[] }>('/jobs?limit=1', admin);
        const job = body.jobs[0];
        return job && job.type === 'sync' && job.progress.pages_done >= 1 ? job : undefined;
      },
      30_000,
      'the first page of the sync',
    );
    ({ stack: running, admin } = await restart());
    expect(running.output()).toContain(
      `${stopped.job_id}: interrupted by the last stop; continuing from its checkpoint`,
    );

    const finished = await waitFor(finishedSync(admin), 60_000, 'the resumed sync');
    expect(finished).toMatchObject({ job_id: stopped.job_id, status: 'succeeded', resumes: 1 });
    // The seeded orgs lack both flags added in these tests; the four orgs of the first test lack only the new one.
    expect(finished.counts).toMatchObject({
      rows_missing: 2 * orgIds.length + 4,
      rows_written: 2 * orgIds.length + 4,
      orgs_failed: 0,
    });
    for (const orgId of [orgIds[0], orgIds[300], orgIds[599]] as string[]) {
      expect(await flagOf(orgId, admin, 'bulk-import')).toMatchObject({
        source: 'synced',
        user_enabled: true,
        is_default: false,
      });
    }
  }, 180_000);

  it('flags:report --strict exits non-zero on a flag past its cleanup date, from the registry alone and from the running service; the deploy gate follows the stage config', async () => {
    await addFlag({ ...ADDED_FLAG, key: 'overdue', cleanup_after: '2026-01-31' });
    const { stack: running } = await restart();
    const report = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'bin/flags.ts', 'report', ...args], {
        cwd: root,
        env: running.env,
      }).then(
        (result) => ({ code: 0, ...result }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    const offline = await report('--registry-only', '--strict');
    expect(offline.code).toBe(1);
    expect(offline.stdout).toContain('strict: 1 flag(s) past their cleanup_after date: overdue');
    expect((await report('--registry-only')).code).toBe(0);

    const live = await report('--strict');
    expect(live.code).toBe(1);
    expect(live.stdout).toMatch(/Past cleanup_after: +overdue/);

    const cdkJson = JSON.parse(await readFile(path.join(root, 'cdk.json'), 'utf8'));
    cdkJson.context.stages.dev.staleFlagGate = 'warn';
    cdkJson.context.stages.prod.staleFlagGate = 'fail';
    await writeFile(path.join(root, 'cdk.json'), JSON.stringify(cdkJson));
    const warned = await report('--registry-only', '--gate', 'dev');
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain('warning: 1 flag(s) past their cleanup_after date: overdue');
    expect((await report('--registry-only', '--gate', 'prod')).code).toBe(1);
  }, 120_000);
});
