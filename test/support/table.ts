import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client.js';

/**
 * The document client of the handlers, but waiting as long as a loaded machine needs. DynamoDB Local
 * shares the machine with the whole suite (browsers, other workers): a call AWS answers in
 * milliseconds can wait seconds there, past the 2 s a Lambda waits before retrying
 * (`DYNAMODB_CALL_LIMITS`), and three such waits turn a test's write into a 503. Tests of anything
 * other than those limits use this client; the limits themselves are tested against a fake that
 * never answers (test/integration/handlers/slow-dynamodb.test.ts).
 */
export function patientDocumentClient(): DynamoDBDocumentClient {
  return createDocumentClient({
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 60_000 }),
  });
}

/** A stored item, as the document client returns it. */
export type TableItem = Record<string, unknown>;

/**
 * Direct access to the test table for arranging and checking state behind the handlers' back.
 * It uses its own client, so its calls never show in the counter on the handlers' shared client.
 */
export class TestTable {
  readonly client: DynamoDBDocumentClient = patientDocumentClient();
  readonly tableName: string = requiredEnv('TABLE_NAME');

  /** Every item under one partition key, consistently read, across pages. */
  async partition(pk: string): Promise<TableItem[]> {
    const items: TableItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Every item of an org's partition (`ORG#<id>`): its org record and flag rows. */
  orgItems(orgId: string): Promise<TableItem[]> {
    return this.partition(`ORG#${orgId}`);
  }

  async flagRows(orgId: string): Promise<TableItem[]> {
    return (await this.orgItems(orgId)).filter((item) => typeof item.sk === 'string' && item.sk.startsWith('FLAG#'));
  }

  async orgRecords(orgId: string): Promise<TableItem[]> {
    return (await this.orgItems(orgId)).filter((item) => item.sk === '#ORG');
  }

  async flagRow(orgId: string, key: string): Promise<TableItem | undefined> {
    return (await this.orgItems(orgId)).find((item) => item.sk === `FLAG#${key}`);
  }

  /** The org's change history (`HIST#<id>`). */
  historyItems(orgId: string): Promise<TableItem[]> {
    return this.partition(`HIST#${orgId}`);
  }

  async put(item: TableItem): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async deleteFlagRow(orgId: string, key: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `ORG#${orgId}`, sk: `FLAG#${key}` } }),
    );
  }

  close(): void {
    this.client.destroy();
  }
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set: is jest's globalSetup configured?`);
  return value;
}
