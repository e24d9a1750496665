import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../lambdas/adapters/dynamodb-client.js';
import { paged, putIfAbsent } from '../../../lambdas/adapters/dynamodb-calls.js';
import { DynamoDbFlagStore } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import { InvalidCursorError } from '../../../lambdas/domain/errors.js';
import { requiredEnv, TestTable } from '../../support/table.js';

const table = new TestTable();
afterAll(() => table.close());

describe('putIfAbsent on DynamoDB Local', () => {
  const item = () => ({
    pk: `TEST#${randomUUID()}`,
    sk: 'ITEM',
    version: 1_732_358_400_000,
    enabled: true,
    note: undefined,
  });

  it('writes an absent item, and refuses to overwrite an item someone else wrote', async () => {
    const mine = item();
    expect(await putIfAbsent(documentClient(), requiredEnv('TABLE_NAME'), mine)).toBe(true);
    expect(await putIfAbsent(documentClient(), requiredEnv('TABLE_NAME'), { ...mine, version: mine.version + 1 })).toBe(
      false,
    );
    expect(await putIfAbsent(documentClient(), requiredEnv('TABLE_NAME'), { ...mine, extra: 'x' })).toBe(false);
  });

  it('counts a retry that finds exactly its own item (an attempt that timed out but landed) as written', async () => {
    const mine = item();
    expect(await putIfAbsent(documentClient(), requiredEnv('TABLE_NAME'), mine)).toBe(true);
    expect(await putIfAbsent(documentClient(), requiredEnv('TABLE_NAME'), { ...mine })).toBe(true);
  });
});

describe('a page that starts from a cursor, on DynamoDB Local', () => {
  const startingAt = (startKey: Record<string, unknown>) =>
    documentClient().send(
      new QueryCommand({
        TableName: requiredEnv('TABLE_NAME'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'HIST#mine' },
        ExclusiveStartKey: startKey,
      }),
    );

  it.each([
    ["another partition's key", { pk: 'HIST#theirs', sk: '2026-01-01T00:00:00.000Z#chat#1' }],
    ['a key of another shape', { pk: 'HIST#mine', sk: '2026-01-01T00:00:00.000Z#chat#1', gsi1pk: 'x' }],
    ['an empty key value', { pk: 'HIST#mine', sk: '' }],
  ])('answers 400 invalid_cursor when the store refuses the start key: %s', async (_name, startKey) => {
    await expect(paged(true, startingAt(startKey))).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it("leaves the store's refusal of a page that starts from no cursor as it is (a fault of the service)", async () => {
    await expect(paged(false, startingAt({ pk: 'HIST#theirs', sk: 'x' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('refuses an org position outside the prefix searched for (the store refuses to start there)', async () => {
    const store = new DynamoDbFlagStore(documentClient(), requiredEnv('TABLE_NAME'));
    const prefix = `pos-${randomUUID()}`;
    await expect(store.findOrgs({ prefix, after: `zz${prefix}`, limit: 5 })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.findOrgs({ prefix, after: `${prefix}-a`, limit: 5 })).resolves.toEqual({
      items: [],
      more: false,
    });
  });
});
