import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../domain/errors.js';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const UNAVAILABLE = new Set(['ServiceUnavailable', 'InternalServerError', 'TimeoutError']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** Turns throttling and connection failures into a 503 the client can retry; rethrows the rest. */
export function translateDynamoDbError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: string }).code;
  if (THROTTLING.has(error.name)) return new DependencyUnavailableError('The flag store is throttling requests; retry shortly.', 1);
  if (UNAVAILABLE.has(error.name) || (code !== undefined && NETWORK_CODES.has(code))) {
    return new DependencyUnavailableError('The flag store is unavailable; retry shortly.', 2);
  }
  return error;
}

/** Awaits a DynamoDB call, turning throttling and connection failures into a retryable 503. */
export async function guard<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw translateDynamoDbError(error);
  }
}

/** Awaits a conditional write: true when it was written, false when its condition failed (nothing was). */
export async function conditionally(call: Promise<unknown>): Promise<boolean> {
  try {
    await guard(call);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Writes the item unless an item with its key exists; returns whether this call wrote it. */
export function putIfAbsent(client: DynamoDBDocumentClient, tableName: string, item: Record<string, unknown>): Promise<boolean> {
  return conditionally(client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));
}
