import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { config } from '../shared/config.js';
import { tracer } from '../shared/powertools.js';

/**
 * Builds the DynamoDB document client every adapter uses. `DYNAMODB_ENDPOINT` points it at
 * DynamoDB Local; in AWS it is unset and the SDK's defaults apply.
 */
export function createDocumentClient(overrides: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const { dynamoDbEndpoint } = config();
  const client = tracer.captureAWSv3Client(
    new DynamoDBClient({
      maxAttempts: 3,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 5_000 }),
      ...(dynamoDbEndpoint ? { endpoint: dynamoDbEndpoint } : {}),
      ...overrides,
    }),
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

let shared: DynamoDBDocumentClient | undefined;

/** The one client of this process, created on first use and reused across invocations. */
export function documentClient(): DynamoDBDocumentClient {
  shared ??= createDocumentClient();
  return shared;
}
