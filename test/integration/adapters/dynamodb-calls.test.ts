import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { documentClient } from '../../../lambdas/adapters/dynamodb-client.js';
import { putIfAbsent } from '../../../lambdas/adapters/dynamodb-calls.js';
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
