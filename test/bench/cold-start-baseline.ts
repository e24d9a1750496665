import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

// The least a function that reads the flag table must load: the SDK's DynamoDB client and the
// document client, built once per process, and one Query. The cold-start bench's baseline.
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tableName = process.env.TABLE_NAME;

export async function handler(event: { org_id: string }): Promise<unknown[]> {
  const { Items } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `ORG#${event.org_id}` },
    }),
  );
  return Items ?? [];
}
