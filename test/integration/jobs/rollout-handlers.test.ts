import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobWorker, LocalJobEngine } from '../../../lib/local/job-engine.js';
import { loadRegistry } from '../../../registry/index.js';
import type { HttpEventOptions, TestRole } from '../../support/events.js';
import { invoke, type HttpLambda, type HttpResult } from '../../support/http.js';
import { freshTable, jobEndpoint, seedOrgs } from '../../support/jobs.js';
import { DocumentedSchemas, committedOpenApiText } from '../../support/openapi.js';

/*
 * The rollout routes' handlers, invoked as API Gateway would; the preview runs through the real
 * Step Functions client against the local engine, which runs the real worker on a table of this
 * file's own. Every answer is checked against the committed API description.
 */

const registry = loadRegistry();
const schemas = new DocumentedSchemas(JSON.parse(committedOpenApiText()));
let client: DynamoDBDocumentClient;
let engine: LocalJobEngine;
let endpoint: Awaited<ReturnType<typeof jobEndpoint>>;
const handlers: Record<string, HttpLambda> = {};

interface RolloutBody {
  rollout_id: string;
  status: string;
  version: number;
  definition_hash: string;
  preview: null | {
    job_id: string;
    status: string;
    current: boolean;
    audience: number | null;
    steps: { will_change: number }[];
  };
  error?: { code: string; message: string };
}

beforeAll(async () => {
  const tableName = `rollouts-test-${randomUUID()}`;
  process.env.TABLE_NAME = tableName;
  endpoint = await jobEndpoint();
  client = (await freshTable(tableName)).client;
  await seedOrgs(client, tableName, registry, 120, 'rh', (index) => ({
    plan: ['free', 'pro', 'enterprise'][index % 3]!,
  }));
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  for (const name of [
    'create-rollout',
    'list-rollouts',
    'get-rollout',
    'update-rollout',
    'preview-rollout',
    'list-rollout-orgs',
  ])
    handlers[name] = ((await import(`../../../lambdas/handlers/${name}.js`)) as { handler: HttpLambda }).handler;
  const worker = ((await import('../../../lambdas/handlers/job-worker.js')) as { handler: JobWorker }).handler;
  engine = await endpoint.start(worker, { retryBaseDelayMs: 10 });
}, 60_000);

afterAll(async () => {
  await endpoint?.stop();
  client?.destroy();
});

/** Invokes a handler and checks its answer against the description of its route and status. */
async function call<B = RolloutBody>(name: string, options: HttpEventOptions): Promise<HttpResult<B>> {
  const result = await invoke<B>(handlers[name]!, options);
  expect(schemas.responseErrors(options.method, options.path, result.status, result.body)).toEqual([]);
  return result;
}

const create = (body: unknown, role: TestRole = 'admin') =>
  call('create-rollout', { method: 'POST', path: '/rollouts', body, role });
const get = (id: string) =>
  call('get-rollout', { method: 'GET', path: '/rollouts/{rollout_id}', pathParameters: { rollout_id: id } });
const patch = (id: string, body: unknown) =>
  call('update-rollout', { method: 'PATCH', path: '/rollouts/{rollout_id}', pathParameters: { rollout_id: id }, body });
const preview = (id: string) =>
  call('preview-rollout', {
    method: 'POST',
    path: '/rollouts/{rollout_id}/preview',
    pathParameters: { rollout_id: id },
  });
const orgs = (id: string, query: Record<string, string> = {}) =>
  call<{
    orgs: { org_id: string; step: number; outcome: string }[];
    next_cursor: string | null;
    error?: { code: string };
  }>('list-rollout-orgs', {
    method: 'GET',
    path: '/rollouts/{rollout_id}/orgs',
    pathParameters: { rollout_id: id },
    queryStringParameters: query,
  });
const list = (query: Record<string, string> = {}) =>
  call<{ rollouts: RolloutBody[]; next_cursor: string | null; error?: { code: string } }>('list-rollouts', {
    method: 'GET',
    path: '/rollouts',
    queryStringParameters: query,
  });

const ENTERPRISE_CHAT = {
  key: 'chat',
  enabled: true,
  audience: { attributes: { plan: ['enterprise'] } },
  steps: [{ percent: 10, at: '2026-12-14T09:00:00Z' }, { percent: 50 }, { percent: 100 }],
  note: 'chat for enterprise',
};

describe('the rollout routes', () => {
  test('draft, preview through the job engine, read the counts and the exact orgs; an edit makes the preview stale', async () => {
    const created = await create(ENTERPRISE_CHAT);
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/rollouts/${created.body.rollout_id}`);
    expect(created.body).toMatchObject({ status: 'draft', preview: null, version: 1 });
    const id = created.body.rollout_id;
    expect((await orgs(id)).status).toBe(409);

    const started = await preview(id);
    expect(started.status).toBe(202);
    expect(started.body.status).toBe('previewing');
    await engine.idle();

    const ready = await get(id);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.preview).toMatchObject({ status: 'succeeded', current: true, audience: 40 });
    const total = ready.body.preview!.steps.reduce((sum, step) => sum + step.will_change, 0);
    expect(total).toBe(40);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await orgs(id, { limit: '15', ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      seen.push(...page.body.orgs.map((org) => org.org_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(40);
    const stepTwo = await orgs(id, { step: '2', outcome: 'will_change', limit: '1000' });
    expect(stepTwo.body.orgs.length).toBe(ready.body.preview!.steps[1]!.will_change);
    const foreign = await orgs(id, { step: '1', cursor: String((await orgs(id, { limit: '1' })).body.next_cursor) });
    expect([foreign.status, foreign.body.error?.code]).toEqual([400, 'invalid_cursor']);

    const edited = await patch(id, { steps: [{ percent: 100 }] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ status: 'draft', version: 3, preview: { current: false } });
    expect(edited.body.definition_hash).not.toBe(ready.body.definition_hash);
    const listed = await list({ key: 'chat', status: 'draft' });
    expect(listed.body.rollouts.map((rollout) => rollout.rollout_id)).toContain(id);
    expect((await list({ status: 'ready' })).body.rollouts.map((rollout) => rollout.rollout_id)).not.toContain(id);
  });

  test('bad input is a 400 that stores nothing; an unknown flag names the valid keys; only admins may draft', async () => {
    const before = (await list({ limit: '100' })).body.rollouts.length;
    const cases: [unknown, string][] = [
      [{ ...ENTERPRISE_CHAT, key: 'no-such-flag' }, 'unknown_flag'],
      [{ ...ENTERPRISE_CHAT, steps: [{ percent: 50 }, { percent: 10 }] }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, steps: [] }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, steps: [{ percent: 0 }] }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, steps: [{ percent: 100, at: 'monday' }] }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, audience: { attributes: { plan: ['gold'] } } }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, audience: { attributes: { seats: ['4'] } } }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, audience: { org_ids: ['a', 'a'] } }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, overrides: 'always' }, 'invalid_request'],
      [{ ...ENTERPRISE_CHAT, extra: true }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const answer = await create(body);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({ body, status: 400, code });
    }
    expect((await create(ENTERPRISE_CHAT, 'service')).status).toBe(403);
    expect((await list({ limit: '100' })).body.rollouts).toHaveLength(before);
    expect((await get('20261207T090000123Z-abcdef')).status).toBe(404);
    expect((await get('not-an-id')).status).toBe(400);
  });

  test('an audience of 10,000 org ids is taken (a body over 16 KiB), stored compressed and read back', async () => {
    const ids = Array.from({ length: 10_000 }, (_, index) => `tenant-${randomUUID()}-${index}`);
    const created = await create({ ...ENTERPRISE_CHAT, audience: { org_ids: ids } });
    expect(created.status).toBe(201);
    const read = await call<{ audience: { org_ids: string[] } }>('get-rollout', {
      method: 'GET',
      path: '/rollouts/{rollout_id}',
      pathParameters: { rollout_id: created.body.rollout_id },
    });
    expect(read.body.audience.org_ids).toEqual(ids);
    expect((await create({ ...ENTERPRISE_CHAT, audience: { org_ids: [...ids, 'one-more'] } })).status).toBe(400);
  });
});
