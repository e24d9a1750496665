import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable, localDynamoDbClientConfig, startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { FLAG_TABLE } from '../../lib/service/table.js';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set: is jest's globalSetup configured?`);
  return value;
}

describe('DynamoDB Local', () => {
  test('global setup created the table with the declared keys and indexes', async () => {
    const client = new DynamoDBClient(localDynamoDbClientConfig(requiredEnv('DYNAMODB_ENDPOINT')));
    try {
      const { Table: table } = await client.send(new DescribeTableCommand({ TableName: requiredEnv('TABLE_NAME') }));

      expect(table?.TableStatus).toBe('ACTIVE');
      expect(table?.KeySchema).toEqual([
        { AttributeName: FLAG_TABLE.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: FLAG_TABLE.sortKey.name, KeyType: 'RANGE' },
      ]);
      const indexes = [...(table?.GlobalSecondaryIndexes ?? [])].sort((a, b) =>
        (a.IndexName ?? '').localeCompare(b.IndexName ?? ''),
      );
      expect(
        indexes.map((index) => ({ name: index.IndexName, keys: index.KeySchema, projection: index.Projection })),
      ).toEqual(
        [...FLAG_TABLE.globalSecondaryIndexes]
          .sort((a, b) => a.indexName.localeCompare(b.indexName))
          .map((index) => ({
            name: index.indexName,
            keys: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
            ],
            projection: { ProjectionType: 'ALL' },
          })),
      );
      expect(indexes.map((index) => index.IndexName)).toEqual(['by-flag', 'orgs']);
    } finally {
      client.destroy();
    }
  });

  test('data written to a dataDir survives a restart', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dynamodb-local-test-'));
    const tableName = 'persistence-test';
    const key = { pk: { S: 'ORG#acme' }, sk: { S: 'FLAG#beta' } };
    try {
      const first = await startDynamoDbLocal({ dataDir });
      try {
        await ensureTable(first.endpoint, tableName);
        const client = new DynamoDBClient(localDynamoDbClientConfig(first.endpoint));
        try {
          await client.send(new PutItemCommand({ TableName: tableName, Item: { ...key, enabled: { BOOL: true } } }));
        } finally {
          client.destroy();
        }
      } finally {
        await first.stop();
      }

      const second = await startDynamoDbLocal({ dataDir });
      try {
        await ensureTable(second.endpoint, tableName);
        const client = new DynamoDBClient(localDynamoDbClientConfig(second.endpoint));
        try {
          const { Item: item } = await client.send(
            new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
          );
          expect(item).toEqual({ ...key, enabled: { BOOL: true } });
        } finally {
          client.destroy();
        }
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
