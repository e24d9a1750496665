import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { config } from '../shared/config.js';
import { deadlineSignal } from '../shared/deadline.js';
import { tracer } from '../shared/powertools.js';

/**
 * Limits of one DynamoDB call. An attempt that has not been answered within `requestTimeoutMs`
 * (connecting included) is abandoned and retried, so a call that finds DynamoDB silent ends after
 * about `maxAttempts × requestTimeoutMs`, well inside the shortest function timeout; the
 * invocation's deadline bounds several calls together. The budget: docs/architecture.md, Errors.
 */
export const DYNAMODB_CALL_LIMITS = {
  maxAttempts: 3,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
} as const;

/** The SDK's handler, with every attempt carrying the abort signal of the invocation's deadline. */
class DeadlineHttpHandler extends NodeHttpHandler {
  override handle(
    ...[request, options = {}]: Parameters<NodeHttpHandler['handle']>
  ): ReturnType<NodeHttpHandler['handle']> {
    return super.handle(request, { ...options, abortSignal: options.abortSignal ?? deadlineSignal() });
  }
}

/**
 * Builds the DynamoDB document client every adapter uses. `DYNAMODB_ENDPOINT` points it at
 * DynamoDB Local; in AWS it is unset and the SDK's defaults apply.
 */
export function createDocumentClient(overrides: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const { dynamoDbEndpoint } = config();
  const client = tracer.captureAWSv3Client(
    new DynamoDBClient({
      maxAttempts: DYNAMODB_CALL_LIMITS.maxAttempts,
      requestHandler: new DeadlineHttpHandler({
        connectionTimeout: DYNAMODB_CALL_LIMITS.connectionTimeoutMs,
        requestTimeout: DYNAMODB_CALL_LIMITS.requestTimeoutMs,
        throwOnRequestTimeout: true,
      }),
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
