import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { DYNAMODB_CALL_LIMITS } from '../../../lambdas/adapters/dynamodb-client.js';
import { newJobId } from '../../../lambdas/domain/jobs.js';
import { DEADLINE_MARGIN_MS } from '../../../lambdas/shared/deadline.js';
import { HANDLERS, timeoutSecondsOf, type HandlerName } from '../../../lib/service/handlers.js';
import {
  eventBridgeEvent,
  httpEvent,
  lambdaContext,
  uniqueOrgId,
  type HttpEventOptions,
} from '../../support/events.js';
import { answer, startFakeDynamoDb, type FakeCall, type FakeDynamoDb } from '../../support/fake-dynamodb.js';
import { publicFlag } from '../../support/flags.js';
import { expectErrorBody, type HttpLambda, type HttpResult } from '../../support/http.js';
import { rejectionOf } from '../../support/rejection.js';

type Consumer = (event: unknown, context: Context) => Promise<unknown>;

let fake: FakeDynamoDb;
let getOrgFlags: HttpLambda;
let setOrgFlag: HttpLambda;
let orgCreated: Consumer;
let jobWorker: Consumer;

beforeAll(async () => {
  fake = await startFakeDynamoDb(() => answer.hang());
  // The handlers' configuration is read once, on first use: set it before anything reads it.
  process.env.DYNAMODB_ENDPOINT = fake.endpoint;
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  const load = async <T>(name: string) =>
    ((await import(`../../../lambdas/handlers/${name}.js`)) as { handler: T }).handler;
  getOrgFlags = await load('get-org-flags');
  setOrgFlag = await load('set-org-flag');
  orgCreated = await load('org-created');
  jobWorker = await load('job-worker');
});

afterAll(async () => {
  await fake?.close();
});

/** The context of an invocation with `remainingMs` left before the function times out. */
function contextWithRemaining(remainingMs: number): Context {
  const end = Date.now() + remainingMs;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

async function invokeWith(
  handler: HttpLambda,
  options: HttpEventOptions,
  context: Context,
): Promise<HttpResult<unknown>> {
  const raw = await handler(httpEvent(options), context);
  return {
    status: raw.statusCode ?? 200,
    headers: raw.headers ?? {},
    body: JSON.parse(raw.body ?? 'null') as unknown,
    raw,
  };
}

const getFlags = (context: Context) =>
  invokeWith(
    getOrgFlags,
    { method: 'GET', path: '/org-feature-flags/{org_id}', pathParameters: { org_id: uniqueOrgId() } },
    context,
  );
const setFlag = (context: Context) =>
  invokeWith(
    setOrgFlag,
    {
      method: 'POST',
      path: '/org-feature-flags',
      body: { org_id: uniqueOrgId(), key: publicFlag().key, enabled: true },
    },
    context,
  );

/** Resolves once `condition` holds, or fails after `ms`. */
async function eventually(condition: () => boolean, ms = 1_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the DynamoDB client fits the functions it serves', () => {
  test("every attempt of one call ends well inside the shortest function's timeout, before its deadline", () => {
    const shortestMs = Math.min(
      ...(Object.keys(HANDLERS) as HandlerName[]).map((name) => timeoutSecondsOf(name) * 1000),
    );
    const { maxAttempts, connectionTimeoutMs, requestTimeoutMs } = DYNAMODB_CALL_LIMITS;

    expect(connectionTimeoutMs).toBeLessThan(requestTimeoutMs);
    // The SDK's waits between attempts that timed out are at most 50 ms, then 100 ms.
    expect(maxAttempts * requestTimeoutMs + 150).toBeLessThan(shortestMs - DEADLINE_MARGIN_MS);
  });
});

describe('a DynamoDB that accepts requests and never answers', () => {
  test("GET and POST answer 503 with Retry-After within the function's timeout", async () => {
    fake.respond(() => answer.hang());
    const budgetMs = (name: HandlerName) => timeoutSecondsOf(name) * 1000;

    const [get, post] = await Promise.all([
      timed(() => getFlags(contextWithRemaining(budgetMs('get-org-flags')))),
      timed(() => setFlag(contextWithRemaining(budgetMs('set-org-flag')))),
    ]);

    for (const { result } of [get, post]) {
      expectErrorBody(result, 503, 'dependency_unavailable');
      expect(Number(result.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(get.ms).toBeLessThan(budgetMs('get-org-flags') - DEADLINE_MARGIN_MS / 2);
    expect(post.ms).toBeLessThan(budgetMs('set-org-flag') - DEADLINE_MARGIN_MS / 2);
  }, 20_000);

  test('with less time left than the client would wait, the answer is a 503 at the deadline, and the DynamoDB request is abandoned', async () => {
    fake.respond(() => answer.hang());
    const before = fake.calls.length;

    const { result, ms } = await timed(() => getFlags(contextWithRemaining(2_500)));

    expectErrorBody(result, 503, 'dependency_unavailable');
    expect(Number(result.headers['retry-after'])).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(2_500 - DEADLINE_MARGIN_MS - 100);
    expect(ms).toBeLessThan(2_500 - DEADLINE_MARGIN_MS / 2);
    const sent = fake.calls.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    await eventually(() => sent.every((call) => call.abandoned));
  }, 20_000);

  test('a write needing several slow calls is cut at the deadline: 503, and no call is sent after it', async () => {
    // Each transaction is answered, slowly, as colliding with another, so the write keeps retrying.
    fake.respond((call) =>
      call.operation === 'TransactWriteItems'
        ? answer.delayed(700, answer.transactionCanceled('TransactionConflict', 'None'))
        : answer.hang(),
    );
    const before = fake.calls.length;
    const transactions = (): FakeCall[] =>
      fake.calls.slice(before).filter((call) => call.operation === 'TransactWriteItems');

    const { result, ms } = await timed(() => setFlag(contextWithRemaining(3_000)));

    expectErrorBody(result, 503, 'dependency_unavailable');
    expect(ms).toBeLessThan(3_000 - DEADLINE_MARGIN_MS / 2);
    const sentByDeadline = transactions().length;
    expect(sentByDeadline).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(transactions()).toHaveLength(sentByDeadline);
  }, 20_000);
});

describe('event consumers and the job worker stop at their deadline too', () => {
  test('OrgCreated: rejected at the deadline (so EventBridge retries it), not left to time out', async () => {
    fake.respond(() => answer.hang());

    const { result: error, ms } = await timed(() =>
      rejectionOf(orgCreated(eventBridgeEvent({ org_id: uniqueOrgId() }), contextWithRemaining(2_500))),
    );

    expect((error as Error).message).toMatch(/did not answer in time/);
    expect(ms).toBeLessThan(2_500 - DEADLINE_MARGIN_MS / 2);
  }, 20_000);

  test('the job worker: the step fails at the deadline (so the state machine retries it), not left to time out', async () => {
    fake.respond(() => answer.hang());
    const task = { action: 'run', job_id: newJobId('sync', new Date()) };

    const { result: error, ms } = await timed(() => rejectionOf(jobWorker(task, contextWithRemaining(2_500))));

    expect((error as Error).message).toMatch(/did not answer in time/);
    expect(ms).toBeLessThan(2_500 - DEADLINE_MARGIN_MS / 2);
  }, 20_000);
});
