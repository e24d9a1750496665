import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbJobStore } from '../../../lambdas/adapters/dynamodb-job-store.js';
import { newJob, type JobView } from '../../../lambdas/domain/jobs.js';
import { encodeCursor } from '../../../lambdas/http/cursor.js';
import { appJobDeps } from '../../../lambdas/shared/deps.js';
import { runJobPage } from '../../../lambdas/use-cases/jobs.js';
import type { JobWorker, LocalJobEngine } from '../../../lib/local/job-engine.js';
import { loadRegistry } from '../../../registry/index.js';
import { eventBridgeEvent, lambdaContext } from '../../support/events.js';
import { expectErrorBody, invoke, type HttpLambda } from '../../support/http.js';
import { freshTable, jobEndpoint, seedOrgs } from '../../support/jobs.js';

/*
 * The job routes' handlers, invoked as API Gateway would, starting runs through the real Step
 * Functions client against the local engine, which runs the real worker on a table of this file's own.
 */

const registry = loadRegistry();
let client: DynamoDBDocumentClient;
let jobs: DynamoDbJobStore;
let engine: LocalJobEngine;
let endpoint: Awaited<ReturnType<typeof jobEndpoint>>;
let startJob: HttpLambda;
let getJob: HttpLambda;
let listJobs: HttpLambda;
let resumeJob: HttpLambda;
let deploySync: (event: unknown, context: unknown) => Promise<void>;
let orgIds: string[];

beforeAll(async () => {
  // The handlers' configuration is read once, on first use: set it before anything reads it.
  const tableName = `jobs-test-${randomUUID()}`;
  process.env.TABLE_NAME = tableName;
  endpoint = await jobEndpoint();
  client = (await freshTable(tableName)).client;
  jobs = new DynamoDbJobStore(client, tableName);
  orgIds = await seedOrgs(client, tableName, registry, 130, 'handlers');
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  const load = async <T>(name: string) =>
    ((await import(`../../../lambdas/handlers/${name}.js`)) as { handler: T }).handler;
  startJob = await load('start-job');
  getJob = await load('get-job');
  listJobs = await load('list-jobs');
  resumeJob = await load('resume-job');
  deploySync = await load('deploy-sync');
  engine = await endpoint.start(await load<JobWorker>('job-worker'), { retryBaseDelayMs: 10 });
}, 60_000);

afterAll(async () => {
  await endpoint?.stop();
  client?.destroy();
});

const start = (type: string, body?: unknown, role: 'admin' | 'service' | 'org' | 'none' = 'admin') =>
  invoke<JobView>(startJob, {
    method: 'POST',
    path: '/jobs/{type}',
    pathParameters: { type },
    role,
    orgId: 'acme',
    ...(body === undefined ? {} : { body }),
  });
const get = (jobId: string) =>
  invoke<JobView>(getJob, { method: 'GET', path: '/jobs/{job_id}', pathParameters: { job_id: jobId } });
const list = (query: Record<string, string>) =>
  invoke<{ jobs: JobView[]; next_cursor: string | null }>(listJobs, {
    method: 'GET',
    path: '/jobs',
    queryStringParameters: query,
  });

describe('POST /jobs/{type} and GET /jobs/{job_id}', () => {
  test('an admin starts a report: 202 with the job and its Location; the engine runs it to the end', async () => {
    const started = await start('report', { stale_days: 7 });

    expect(started.status).toBe(202);
    expect(started.headers.location).toBe(`/jobs/${started.body.job_id}`);
    expect(started.body).toMatchObject({
      type: 'report',
      status: 'running',
      options: { stale_days: 7 },
      created_by: 'admin-user-1',
      registry_version: registry.version,
    });
    await engine.idle();
    const finished = await get(started.body.job_id);
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({
      status: 'succeeded',
      progress: { orgs_total: orgIds.length, orgs_done: orgIds.length, percent: 100 },
      result: { type: 'report', report: { orgs: orgIds.length, stale_days: 7 } },
    });
  });

  test('a second job of a type that is running for this registry is a 409 naming the running job', async () => {
    const running = newJob(
      'orphan-cleanup',
      { dry_run: true },
      { registryVersion: registry.version, actor: 'test', now: new Date() },
    );
    await jobs.create(running);

    const second = await start('orphan-cleanup');

    expectErrorBody(second, 409, 'job_running');
    expect((second.body as unknown as { error: { job_id: string } }).error.job_id).toBe(running.id);
    await jobs.save({ ...running, status: 'failed', failure: 'test over' }, running);
  });

  test.each([
    ['an unknown type', 'cleanup', undefined, 400, 'invalid_request'],
    ['an option of another type', 'sync', { stale_days: 3 }, 400, 'invalid_request'],
    ['a wrong option type', 'orphan-cleanup', { dry_run: 'no' }, 400, 'invalid_request'],
    ['malformed JSON', 'sync', '{"dry_run":', 400, 'malformed_json'],
  ] as const)('%s is a 400 and starts nothing', async (_name, type, body, status, code) => {
    const before = (await jobs.list(100)).jobs.length;
    expectErrorBody(await start(type, body), status, code);
    expect((await jobs.list(100)).jobs.length).toBe(before);
  });

  test.each([
    ['a service token', 'service', 403, 'forbidden'],
    ['an org token', 'org', 403, 'forbidden'],
    ['no token', 'none', 401, 'unauthorized'],
  ] as const)('%s may not start a job', async (_name, role, status, code) => {
    expectErrorBody(await start('sync', undefined, role), status, code);
  });

  test('a malformed job id is a 400, an unknown one a 404', async () => {
    expectErrorBody(await get('nope'), 400, 'invalid_request');
    expectErrorBody(await get('20260101T000000Z-sync-000000'), 404, 'job_not_found');
  });
});

describe('GET /jobs', () => {
  test('lists jobs newest first, a page at a time, with a cursor bound to the listing', async () => {
    for (let i = 0; i < 3; i++)
      await jobs.create(
        newJob('sync', {}, { registryVersion: 'older', actor: 'test', now: new Date(Date.UTC(2020, 0, 1 + i)) }),
      );
    const all = (await list({ limit: '100' })).body.jobs.map((job) => job.job_id);
    expect(all).toEqual([...all].sort().reverse());

    const first = await list({ limit: '2' });
    expect(first.body.jobs.map((job) => job.job_id)).toEqual(all.slice(0, 2));
    const second = await list({ limit: '2', cursor: first.body.next_cursor as string });
    expect(second.body.jobs.map((job) => job.job_id)).toEqual(all.slice(2, 4));

    const tampered = `${(first.body.next_cursor as string).slice(0, -3)}abc`;
    expectErrorBody(await list({ cursor: tampered }), 400, 'invalid_cursor');
    expectErrorBody(
      await list({ cursor: encodeCursor('org-flags', { pk: 'JOBS', sk: all[1] as string }) }),
      400,
      'invalid_cursor',
    );
    expectErrorBody(
      await list({ cursor: encodeCursor('jobs', { pk: 'ORG#acme', sk: '#ORG' }) }),
      400,
      'invalid_cursor',
    );
    expectErrorBody(await list({ limit: '0' }), 400, 'invalid_request');
  });
});

describe('POST /jobs/{job_id}/resume', () => {
  test('a job the engine gave up on continues from its checkpoint; a finished one is a 409', async () => {
    const started = await start('sync', { force: true });
    await engine.idle();
    expect((await get(started.body.job_id)).body.status).toBe('succeeded');
    expectErrorBody(
      await invoke(resumeJob, {
        method: 'POST',
        path: '/jobs/{job_id}/resume',
        pathParameters: { job_id: started.body.job_id },
      }),
      409,
      'job_not_resumable',
    );

    // A job stopped after its first page (of two), with the engine's failure recorded.
    const stopped = newJob(
      'sync',
      { force: true },
      { registryVersion: registry.version, actor: 'test', now: new Date() },
    );
    await jobs.create(stopped);
    const page = await runJobPage(appJobDeps(), stopped.id, new Date());
    await jobs.save({ ...page.job, status: 'failed', failure: 'gave up' }, page.job);

    const resumed = await invoke<JobView>(resumeJob, {
      method: 'POST',
      path: '/jobs/{job_id}/resume',
      pathParameters: { job_id: stopped.id },
    });

    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({ status: 'running', resumes: 1, failure: null });
    await engine.idle();
    expect((await get(stopped.id)).body).toMatchObject({
      status: 'succeeded',
      progress: { orgs_done: orgIds.length },
      counts: { orgs_seen: orgIds.length },
    });
  });
});

describe('deploy-sync (CloudFormation Stack Status Change)', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../../fixtures/events/stack-status-change.json', import.meta.url), 'utf8'),
  );

  test('starts a sync after a deploy; while that sync runs, another deploy event starts none', async () => {
    const before = new Set((await jobs.list(100)).jobs.map((job) => job.id));

    await deploySync(fixture, lambdaContext('deploy-sync'));
    await deploySync({ ...fixture, id: 'another-delivery' }, lambdaContext('deploy-sync'));

    const listed = (await jobs.list(100)).jobs;
    const started = listed.filter((job) => !before.has(job.id));
    expect(started.map(({ type, createdBy }) => ({ type, createdBy }))).toEqual([
      { type: 'sync', createdBy: 'deploy:OrgFeatureFlags-dev-Stateless' },
    ]);
    expect(listed[0]?.id).toBe(started[0]?.id);
    await engine.idle();
    expect((await jobs.get(started[0]?.id as string))?.status).toBe('succeeded');
  });

  test('a malformed event is rejected (thrown for retries and the dead-letter queue), starting nothing', async () => {
    const before = (await jobs.list(100)).jobs.length;
    await expect(
      deploySync(
        eventBridgeEvent(
          { 'stack-id': 42 },
          { 'detail-type': 'CloudFormation Stack Status Change', source: 'aws.cloudformation' },
        ),
        lambdaContext('deploy-sync'),
      ),
    ).rejects.toThrow(/Event rejected: malformed event/);
    expect((await jobs.list(100)).jobs.length).toBe(before);
  });
});
