import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createDocumentClient } from '../../../lambdas/adapters/dynamodb-client.js';
import { DynamoDbFlagStore, ROW_PUT_CONCURRENCY } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import type { FlagRow } from '../../../lambdas/domain/flags.js';
import { uniqueOrgId } from '../../support/events.js';
import { answer, startFakeDynamoDb, type FakeDynamoDb } from '../../support/fake-dynamodb.js';

// How many requests DynamoDB sees at once needs an endpoint that counts them: a fake that answers
// each PutItem a little later, as a busy DynamoDB (or DynamoDB Local starting up) would.
let fake: FakeDynamoDb;
let client: ReturnType<typeof createDocumentClient>;

beforeAll(async () => {
  fake = await startFakeDynamoDb(() => answer.delayed(20, answer.ok()));
  client = createDocumentClient({ endpoint: fake.endpoint });
});

afterAll(async () => {
  client?.destroy();
  await fake?.close();
});

test(`writing an org's 200 rows keeps at most ${ROW_PUT_CONCURRENCY} puts in flight, and writes every row`, async () => {
  const orgId = uniqueOrgId();
  const rows: FlagRow[] = Array.from({ length: 200 }, (_, i) => ({
    orgId,
    key: `flag-${i}`,
    enabled: i % 2 === 0,
    version: 1,
    source: 'provisioned',
    updatedAt: '2026-11-24T10:00:00.000Z',
    updatedBy: 'test',
    createdAt: '2026-11-24T10:00:00.000Z',
  }));
  const written = await new DynamoDbFlagStore(client, 'flags').putRowsIfAbsent(rows);
  expect(written).toBe(200);
  const puts = fake.calls.filter((call) => call.operation === 'PutItem');
  expect(new Set(puts.map((call) => (call.body.Item as { sk: { S: string } }).sk.S)).size).toBe(200);
  expect(fake.maxInFlight).toBeLessThanOrEqual(ROW_PUT_CONCURRENCY);
  expect(fake.maxInFlight).toBeGreaterThan(1);
});
