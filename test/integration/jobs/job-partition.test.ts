import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../lambdas/adapters/dynamodb-client.js';
import { DynamoDbJobStore } from '../../../lambdas/adapters/dynamodb-job-store.js';
import { newJob, zeroCounts, type JobView } from '../../../lambdas/domain/jobs.js';
import type { JobWorker, LocalJobEngine } from '../../../lib/local/job-engine.js';
import { HANDLERS, TABLE_ACTIONS, type HandlerDeclaration, type HandlerName } from '../../../lib/service/handlers.js';
import { loadRegistry } from '../../../registry/index.js';
import { lambdaContext } from '../../support/events.js';
import { invoke, type HttpLambda } from '../../support/http.js';
import { freshTable, jobEndpoint } from '../../support/jobs.js';

/*
 * The functions that IAM confines to some partitions of the table (`tablePartitions` in
 * lib/service/handlers.ts: `dynamodb:LeadingKeys` in their role) run here over DynamoDB Local,
 * which enforces no IAM at all. Every key each of them reads or writes is recorded from the
 * document client the handlers share, and must lie in its declared partitions: a handler change
 * that touches another partition fails here, not in AWS with AccessDenied.
 */

/** One DynamoDB call as sent by a handler: the partitions (`pk` values) it names, and the index it queries. */
interface Call {
  readonly command: string;
  readonly partitions: readonly string[];
  readonly index?: string;
}

type Input = Record<string, unknown>;
/** A string attribute value, marshalled (`{ S: "..." }`, as the client's middleware sees it) or not. */
const stringOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  const s = (value as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : undefined;
};
const pkOf = (key: unknown): string =>
  stringOf((key as { pk?: unknown } | undefined)?.pk) ?? `<no pk: ${JSON.stringify(key)}>`;

/** The partition a Query's key condition names: the value compared with `pk` (an index's partition key is not `pk`). */
function queriedPartition(input: Input): string {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const clause of String(input.KeyConditionExpression).split(/\s+AND\s+/i)) {
    const match = /^\s*\(?\s*(#?\w+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(clause);
    if (match && (names[match[1] as string] ?? match[1]) === 'pk') {
      return stringOf(values[match[2] as string]) ?? `<not a string: ${match[2] as string}>`;
    }
  }
  return `<no pk condition: ${String(input.KeyConditionExpression)}>`;
}

/**
 * What a DynamoDB command touches. The Document client's commands reach its middleware as the
 * DynamoDB client's (`PutItemCommand`, ...), their values marshalled. A command that names no
 * partition (a Scan, or any other) is recorded as touching `*`.
 */
function callOf(command: string, input: Input): Call {
  const operations = (list: unknown) =>
    ((list ?? []) as Record<string, { Key?: unknown; Item?: unknown }>[]).flatMap((entry) => Object.values(entry));
  switch (command) {
    case 'GetItemCommand':
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return { command, partitions: [pkOf(input.Key)] };
    case 'PutItemCommand':
      return { command, partitions: [pkOf(input.Item)] };
    case 'QueryCommand':
      return {
        command,
        partitions: [queriedPartition(input)],
        ...(typeof input.IndexName === 'string' ? { index: input.IndexName } : {}),
      };
    case 'TransactWriteItemsCommand':
    case 'TransactGetItemsCommand':
      return { command, partitions: operations(input.TransactItems).map((op) => pkOf(op.Key ?? op.Item)) };
    case 'BatchWriteItemCommand':
      return {
        command,
        partitions: Object.values(input.RequestItems as Record<string, unknown>).flatMap((writes) =>
          operations(writes).map((op) => pkOf(op.Key ?? op.Item)),
        ),
      };
    case 'BatchGetItemCommand':
      return {
        command,
        partitions: Object.values(input.RequestItems as Record<string, { Keys?: unknown[] }>).flatMap((request) =>
          (request.Keys ?? []).map(pkOf),
        ),
      };
    default:
      return { command, partitions: ['*'] };
  }
}

let recording: Call[] | undefined;
/** The calls made through the handlers' document client while `run` runs. */
async function recorded(run: () => Promise<unknown>): Promise<Call[]> {
  recording = [];
  try {
    await run();
    return recording;
  } finally {
    recording = undefined;
  }
}

const registry = loadRegistry();
const confined = (Object.keys(HANDLERS) as HandlerName[]).filter(
  (name) => (HANDLERS[name] as HandlerDeclaration).tablePartitions !== undefined,
);
/** Every call each confined handler made in this file. */
const callsBy = new Map<HandlerName, Call[]>();
let seedClient: DynamoDBDocumentClient;
let jobs: DynamoDbJobStore;
let engine: LocalJobEngine;
let endpoint: Awaited<ReturnType<typeof jobEndpoint>>;
const handlers: Partial<Record<HandlerName, unknown>> = {};

/** Invokes a confined handler as Lambda does, recording its calls. */
async function run<T>(name: HandlerName, call: (handler: never) => Promise<T>): Promise<T> {
  let result: T | undefined;
  const calls = await recorded(async () => {
    result = await call(handlers[name] as never);
  });
  callsBy.set(name, [...(callsBy.get(name) ?? []), ...calls]);
  return result as T;
}
const http = (name: HandlerName, options: Parameters<typeof invoke>[1]) =>
  run(name, (handler: HttpLambda) => invoke<JobView & { jobs?: JobView[]; next_cursor?: string }>(handler, options));

beforeAll(async () => {
  // The handlers' configuration is read once, on first use: set it before anything reads it.
  const tableName = `job-partition-test-${randomUUID()}`;
  process.env.TABLE_NAME = tableName;
  endpoint = await jobEndpoint();
  seedClient = (await freshTable(tableName)).client;
  jobs = new DynamoDbJobStore(seedClient, tableName);
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      recording?.push(callOf(context.commandName ?? 'unknown', args.input as Input));
      return next(args);
    },
    { step: 'initialize', name: 'partitionRecorder', override: true },
  );
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  for (const name of confined)
    handlers[name] = ((await import(`../../../lambdas/handlers/${name}.js`)) as { handler: unknown }).handler;
  // The engine's runs do not touch the table: only the confined handlers' own calls are recorded.
  const worker: JobWorker = async () => ({
    done: true,
    status: 'succeeded',
    orgs_done: 0,
    orgs_total: 0,
    counts: zeroCounts(),
  });
  engine = await endpoint.start(worker);
}, 60_000);

afterAll(async () => {
  await endpoint?.stop();
  seedClient?.destroy();
});

describe('the functions confined to the jobs and rollouts partitions touch only those items (DynamoDB Local, every call recorded)', () => {
  test('the recorder names the partition of each call, so a call outside the declared ones is seen', async () => {
    const calls = await recorded(() =>
      documentClient().send(
        new PutCommand({ TableName: process.env.TABLE_NAME, Item: { pk: 'ORG#recorder-check', sk: '#ORG' } }),
      ),
    );
    expect(calls).toEqual([{ command: 'PutItemCommand', partitions: ['ORG#recorder-check'] }]);
    expect(callOf('ScanCommand', {})).toEqual({ command: 'ScanCommand', partitions: ['*'] });
    expect(
      callOf('QueryCommand', {
        IndexName: 'orgs',
        KeyConditionExpression: '#p = :p AND begins_with(gsi2sk, :s)',
        ExpressionAttributeNames: { '#p': 'gsi2pk' },
        ExpressionAttributeValues: { ':p': { S: 'ORG' }, ':s': { S: 'a' } },
      }).partitions,
    ).toEqual(['<no pk condition: #p = :p AND begins_with(gsi2sk, :s)>']);
  });

  test('deploy-sync starts a sync after a deploy, and starts none while that one runs', async () => {
    const event = JSON.parse(
      readFileSync(new URL('../../fixtures/events/stack-status-change.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    const deploySync = (delivery: Record<string, unknown>) =>
      run('deploy-sync', (handler: (event: unknown, context: unknown) => Promise<void>) =>
        handler(delivery, lambdaContext('deploy-sync')),
      );
    await deploySync(event);
    await deploySync({ ...event, id: 'another-delivery' });
    expect((await jobs.list(100)).jobs.filter((job) => job.type === 'sync')).toHaveLength(1);
  });

  test('start-job starts each type of job, and refuses one of a type already running', async () => {
    const start = (type: string, body?: unknown) =>
      http('start-job', {
        method: 'POST',
        path: '/jobs/{type}',
        pathParameters: { type },
        ...(body === undefined ? {} : { body }),
      });
    expect((await start('report', { stale_days: 7 })).status).toBe(202);
    expect((await start('orphan-cleanup')).status).toBe(202);
    expect((await start('sync', { dry_run: true })).status).toBe(409);
  });

  test('list-jobs and get-job read jobs a page at a time and one by one', async () => {
    const first = await http('list-jobs', { method: 'GET', path: '/jobs', queryStringParameters: { limit: '1' } });
    expect(first.status).toBe(200);
    const second = await http('list-jobs', {
      method: 'GET',
      path: '/jobs',
      queryStringParameters: { limit: '1', cursor: String(first.body.next_cursor) },
    });
    expect(second.status).toBe(200);
    const jobId = (second.body.jobs as JobView[])[0]?.job_id as string;
    const one = await http('get-job', { method: 'GET', path: '/jobs/{job_id}', pathParameters: { job_id: jobId } });
    expect(one.body.job_id).toBe(jobId);
  });

  test('resume-job runs a job the engine gave up on again from its checkpoint', async () => {
    const stopped = newJob(
      'sync',
      { force: true },
      { registryVersion: registry.version, actor: 'test', now: new Date() },
    );
    await jobs.create(stopped);
    const checkpoint = { ...stopped, pagesDone: 1, cursor: { gsi2pk: 'ORG', gsi2sk: 'acme' } };
    await jobs.save(checkpoint, stopped);
    await jobs.save({ ...checkpoint, status: 'failed', failure: 'gave up' }, checkpoint);
    const resumed = await http('resume-job', {
      method: 'POST',
      path: '/jobs/{job_id}/resume',
      pathParameters: { job_id: stopped.id },
    });
    expect(resumed.status).toBe(202);
  });

  test('the rollout functions draft, list, read, edit and preview a rollout', async () => {
    const created = await http('create-rollout', {
      method: 'POST',
      path: '/rollouts',
      body: { key: 'chat', enabled: true, steps: [{ percent: 100 }] },
    });
    expect(created.status).toBe(201);
    const path = {
      pathParameters: { rollout_id: String((created.body as unknown as { rollout_id: string }).rollout_id) },
    };
    expect(
      (await http('preview-rollout', { method: 'POST', path: '/rollouts/{rollout_id}/preview', ...path })).status,
    ).toBe(202);
    expect((await http('list-rollouts', { method: 'GET', path: '/rollouts' })).status).toBe(200);
    expect((await http('get-rollout', { method: 'GET', path: '/rollouts/{rollout_id}', ...path })).status).toBe(200);
    const edited = await http('update-rollout', {
      method: 'PATCH',
      path: '/rollouts/{rollout_id}',
      ...path,
      body: { enabled: false },
    });
    expect(edited.status).toBe(200);
  });

  test('start-job marks a job failed when the engine cannot be started (503)', async () => {
    for (const job of (await jobs.list(100)).jobs.filter((candidate) => candidate.status === 'running'))
      await jobs.save({ ...job, status: 'failed', failure: 'test over' }, job);
    await engine.stop();
    const refused = await http('start-job', { method: 'POST', path: '/jobs/{type}', pathParameters: { type: 'sync' } });
    expect(refused.status).toBe(503);
    const failed = (await jobs.list(100)).jobs.filter((job) => job.failure?.startsWith('The job engine could not'));
    expect(failed).toHaveLength(1);
  });

  test('every call of each of them named only its declared partitions and no index it does not declare; each wrote where it is meant to', () => {
    expect(confined.sort()).toEqual([
      'create-rollout',
      'deploy-sync',
      'get-job',
      'get-rollout',
      'list-jobs',
      'list-rollouts',
      'preview-rollout',
      'resume-job',
      'start-job',
      'update-rollout',
    ]);
    for (const name of confined) {
      const declaration: HandlerDeclaration = HANDLERS[name];
      const calls = callsBy.get(name) ?? [];
      expect({ name, called: calls.length > 0 }).toEqual({ name, called: true });
      const outside = calls.filter(
        (call) =>
          call.partitions.length === 0 ||
          call.partitions.some((partition) => !declaration.tablePartitions?.includes(partition)) ||
          (call.index !== undefined && !(declaration.tableIndexes ?? []).includes(call.index)),
      );
      expect({ name, outside }).toEqual({ name, outside: [] });
      const writes = calls.filter(
        (call) => !/^(GetItem|Query|BatchGetItem|TransactGetItems)Command$/.test(call.command),
      );
      expect({ name, writes: writes.length > 0 }).toEqual({ name, writes: declaration.tableAccess !== 'read' });
    }
  });

  test('each write action their roles hold is one they make: a confined function holds no write it never uses', () => {
    for (const name of confined) {
      const made = new Set((callsBy.get(name) ?? []).map((call) => `dynamodb:${call.command.replace(/Command$/, '')}`));
      const granted = TABLE_ACTIONS[HANDLERS[name].tableAccess].filter((action) => !/:(GetItem|Query)$/.test(action));
      expect({ name, unused: granted.filter((action) => !made.has(action)) }).toEqual({ name, unused: [] });
    }
  });
});
