import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
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

/** An address of this machine that is not loopback, where a neighbour on the network would connect. */
function nonLoopbackAddress(): string {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal);
  const address = addresses.find((info) => info?.family === 'IPv4') ?? addresses[0];
  if (!address) throw new Error('This machine has no network address besides loopback to test against.');
  return address.address;
}

/** Whether a TCP connection to `host:port` is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** ListTables sent as an SDK sends it to 127.0.0.1, with `host` as the Host header. */
function listTablesAddressedTo(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: {
          host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
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

  test("listens on 127.0.0.1 only: refused on the machine's network address, answering on loopback", async () => {
    const port = Number(new URL(requiredEnv('DYNAMODB_ENDPOINT')).port);
    expect(await accepts('127.0.0.1', port)).toBe(true);
    expect(await accepts(nonLoopbackAddress(), port)).toBe(false);
  });

  test('answers only requests addressed to 127.0.0.1 or localhost, so that a DNS-rebinding page reaches nothing', async () => {
    const port = Number(new URL(requiredEnv('DYNAMODB_ENDPOINT')).port);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const answer = await listTablesAddressedTo(port, host);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toHaveProperty('TableNames');
    }
    const rebound = await listTablesAddressedTo(port, `rebind.example:${port}`);
    expect(rebound.status).toBe(404);
    expect(rebound.body).not.toContain('TableNames');
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
