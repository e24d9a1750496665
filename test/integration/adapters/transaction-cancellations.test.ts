import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createDocumentClient } from '../../../lambdas/adapters/dynamodb-client.js';
import { DynamoDbFlagStore } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import type { FlagChange } from '../../../lambdas/domain/flag-store.js';
import { ConflictError, DependencyUnavailableError, ServiceError } from '../../../lambdas/domain/errors.js';
import { uniqueOrgId } from '../../support/events.js';
import { answer, startFakeDynamoDb, type FakeCall, type FakeDynamoDb } from '../../support/fake-dynamodb.js';
import { publicFlag, type ErrorBody } from '../../support/flags.js';
import { expectErrorBody, invoke, type HttpLambda } from '../../support/http.js';
import { rejectionOf } from '../../support/rejection.js';

// DynamoDB Local never throttles and never reports a conflict, so the real client talks to a fake
// that answers TransactWriteItems as DynamoDB does under those conditions.
let fake: FakeDynamoDb;
let store: DynamoDbFlagStore;
let client: ReturnType<typeof createDocumentClient>;
let setOrgFlag: HttpLambda;

beforeAll(async () => {
  fake = await startFakeDynamoDb();
  // The handlers' configuration is read once, on first use: set it before anything reads it.
  process.env.DYNAMODB_ENDPOINT = fake.endpoint;
  client = createDocumentClient();
  store = new DynamoDbFlagStore(client, 'flags');
  setOrgFlag = ((await import('../../../lambdas/handlers/set-org-flag.js')) as { handler: HttpLambda }).handler;
});

afterAll(async () => {
  client?.destroy();
  await fake?.close();
});

let seen = 0;
beforeEach(() => {
  seen = fake.calls.length;
});

/** The calls of one operation since the test began. */
const callsOf = (operation: string): FakeCall[] =>
  fake.calls.slice(seen).filter((call) => call.operation === operation);

afterEach(() => {
  jest.restoreAllMocks();
});

/** The back-off's random part at its top, so that each wait is at its longest: 30 ms, then doubling. */
const longestBackOff = () => jest.spyOn(Math, 'random').mockReturnValue(0.999);

/** Milliseconds between consecutive calls. */
const gaps = (calls: readonly FakeCall[]) =>
  calls.slice(1).map((call, i) => call.receivedAt - (calls[i] as FakeCall).receivedAt);

const change = (overrides: Partial<FlagChange> = {}): FlagChange => ({
  orgId: uniqueOrgId(),
  key: publicFlag().key,
  enabled: true,
  registryDefault: false,
  actor: 'admin-user-1',
  requestId: randomUUID(),
  now: new Date(),
  ...overrides,
});

/** Answers TransactWriteItems with the given answers in turn (the last one from then on), anything else with `{}`. */
function transactionsAnswer(...answers: ReturnType<typeof answer.ok>[]): void {
  fake.respond((call, index) =>
    call.operation === 'TransactWriteItems'
      ? (answers[Math.min(index, answers.length - 1)] ?? answer.ok())
      : answer.ok(),
  );
}

describe('a throttled transaction is a 503, never retried as contention', () => {
  test.each(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded'])(
    'cancellation reason %s: DependencyUnavailableError after one transaction',
    async (code) => {
      transactionsAnswer(answer.transactionCanceled(code, 'None'));

      const error = await rejectionOf(store.applyChange(change()));

      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect((error as DependencyUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect(callsOf('TransactWriteItems')).toHaveLength(1);
    },
  );

  test('a thrown ThrottlingException: DependencyUnavailableError after the SDK has spent its own retries', async () => {
    transactionsAnswer(answer.error('ThrottlingException', 'Rate of requests exceeds the allowed throughput.'));

    const error = await rejectionOf(store.applyChange(change()));

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(callsOf('TransactWriteItems')).toHaveLength(3);
  });

  test('through the set-org-flag handler: 503 dependency_unavailable with Retry-After', async () => {
    transactionsAnswer(answer.transactionCanceled('None', 'ThrottlingError'));

    const result = await invoke<ErrorBody>(setOrgFlag, {
      method: 'POST',
      path: '/org-feature-flags',
      body: { org_id: uniqueOrgId(), key: publicFlag().key, enabled: true },
      role: 'admin',
    });

    expectErrorBody(result, 503, 'dependency_unavailable');
    expect(Number(result.headers['retry-after'])).toBeGreaterThan(0);
    expect(callsOf('TransactWriteItems')).toHaveLength(1);
  });
});

describe('a transaction that collided with another is retried after a growing, jittered back-off', () => {
  test('TransactionConflict, then success: changed, the retries spaced by the back-off', async () => {
    transactionsAnswer(
      answer.transactionCanceled('TransactionConflict', 'None'),
      answer.transactionCanceled('None', 'TransactionConflict'),
      answer.ok(),
    );

    const outcome = await store.applyChange(change());

    expect(outcome.kind).toBe('changed');
    const calls = callsOf('TransactWriteItems');
    expect(calls).toHaveLength(3);
    const [first, second] = gaps(calls) as [number, number];
    expect(first).toBeGreaterThanOrEqual(9);
    expect(second).toBeGreaterThanOrEqual(19);
  });

  test('a thrown TransactionConflictException, then success: changed', async () => {
    transactionsAnswer(
      answer.error('TransactionConflictException', 'Transaction is ongoing for the item'),
      answer.ok(),
    );

    const outcome = await store.applyChange(change());

    expect(outcome.kind).toBe('changed');
    const calls = callsOf('TransactWriteItems');
    expect(calls).toHaveLength(2);
    expect(gaps(calls)[0]).toBeGreaterThanOrEqual(9);
  });

  test('a conflict every time: 409 concurrent_change after four attempts, each retry waiting longer', async () => {
    transactionsAnswer(answer.transactionCanceled('TransactionConflict', 'None'));
    longestBackOff();

    const error = await rejectionOf(store.applyChange(change()));

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('concurrent_change');
    const calls = callsOf('TransactWriteItems');
    expect(calls).toHaveLength(4);
    const waits = gaps(calls);
    [29, 59, 119].forEach((least, i) => expect(waits[i]).toBeGreaterThanOrEqual(least));
  });

  test('the row was created meanwhile (no row, then the create finds one): the next attempt waits too', async () => {
    const request = change();
    const orgRecord = {
      pk: { S: `ORG#${request.orgId}` },
      sk: { S: '#ORG' },
      org_id: { S: request.orgId },
      provisioned_at: { S: '2026-01-01T00:00:00.000Z' },
      registry_version: { S: 'v1' },
      provisioned_by: { S: 'test' },
    };
    fake.respond((call, index) => {
      if (call.operation === 'GetItem') return answer.ok({ Item: orgRecord });
      // The flip finds no row; the create finds one (written by a sync meanwhile); the flip is tried again.
      if (index === 0) return answer.transactionCanceled('ConditionalCheckFailed', 'None');
      if (index === 1) return answer.transactionCanceled('None', 'ConditionalCheckFailed', 'None');
      return answer.ok();
    });
    longestBackOff();

    const outcome = await store.applyChange(request);

    expect(outcome.kind).toBe('changed');
    const calls = callsOf('TransactWriteItems');
    expect(calls.map((call) => (call.body.TransactItems as unknown[]).length)).toEqual([2, 3, 2]);
    expect(gaps(calls)[1]).toBeGreaterThanOrEqual(29);
  });

  test('any other cancellation reason is not retried: an internal error, not a ServiceError', async () => {
    transactionsAnswer(
      answer.transactionCanceled(
        { Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' },
        'None',
      ),
    );

    const error = await rejectionOf(store.applyChange(change()));

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ServiceError);
    expect((error as Error).message).toMatch(/ValidationError/);
    expect(callsOf('TransactWriteItems')).toHaveLength(1);
  });
});
