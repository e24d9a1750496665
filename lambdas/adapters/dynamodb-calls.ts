import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyUnavailableError, InvalidCursorError } from '../domain/errors.js';

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
  if (THROTTLING.has(error.name))
    return new DependencyUnavailableError('The flag store is throttling requests; retry shortly.', 1);
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

/**
 * Awaits one page of a Query, as {@link guard} does. When the page starts after a position a client
 * sent (`fromCursor`), DynamoDB's refusal of the request (`ValidationException`, e.g. "The provided
 * starting key does not match the range key predicate") is the cursor's fault: a 400
 * `invalid_cursor`, not a 500.
 */
export async function paged<T>(fromCursor: boolean, call: Promise<T>): Promise<T> {
  try {
    return await guard(call);
  } catch (error) {
    if (fromCursor && error instanceof Error && error.name === 'ValidationException') throw new InvalidCursorError();
    throw error;
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

/**
 * Writes the item unless an item with its key exists; returns whether this call wrote it. When the
 * SDK retries an attempt that timed out but did land, the retry finds exactly the item this call
 * wrote: every item written this way is made fresh for its write (its version and times are this
 * call's), so that still counts as written by this call.
 */
export async function putIfAbsent(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown>,
): Promise<boolean> {
  try {
    await guard(
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      return error.Item !== undefined && sameItem(unmarshall(error.Item), item);
    throw error;
  }
}

function sameItem(stored: Record<string, unknown>, written: Record<string, unknown>): boolean {
  const defined = Object.entries(written).filter(([, value]) => value !== undefined);
  return (
    defined.length === Object.keys(stored).length &&
    defined.every(([name, value]) => JSON.stringify(stored[name]) === JSON.stringify(value))
  );
}

/** The items of one partition by their sort key: one read consistently, or listed newest (largest key) first. */
export class SortedPartition {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    readonly pk: string,
  ) {}

  key(sk: string): { pk: string; sk: string } {
    return { pk: this.pk, sk };
  }

  async get(sk: string): Promise<Record<string, unknown> | undefined> {
    const result = await guard(
      this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(sk), ConsistentRead: true })),
    );
    return result.Item;
  }

  /** A page of items after the item `after`, largest key first; `next` (the last key) when there may be more. */
  newestFirst(limit: number, after?: string): Promise<{ items: Record<string, unknown>[]; next?: string }> {
    return this.page(limit, after, false);
  }

  /** A page of items after the item `after`, in key order; `next` (the last key) when there may be more. */
  inOrder(limit: number, after?: string): Promise<{ items: Record<string, unknown>[]; next?: string }> {
    return this.page(limit, after, true);
  }

  private async page(
    limit: number,
    after: string | undefined,
    forward: boolean,
  ): Promise<{ items: Record<string, unknown>[]; next?: string }> {
    const page = await paged(
      after !== undefined,
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': this.pk },
          ScanIndexForward: forward,
          ConsistentRead: true,
          Limit: limit,
          ...(after === undefined ? {} : { ExclusiveStartKey: this.key(after) }),
        }),
      ),
    );
    const items = page.Items ?? [];
    return page.LastEvaluatedKey ? { items, next: String(page.LastEvaluatedKey.sk) } : { items };
  }
}
