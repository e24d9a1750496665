import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBStreamRecord } from '@aws-lambda-powertools/parser/schemas/dynamodb';
import type { DynamoDBStreamRecord as ParsedStreamRecord } from '@aws-lambda-powertools/parser/types';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { logger, tracer } from '../shared/powertools.js';

/** One record of a batch: parsed (images converted from DynamoDB's attribute format), or why it could not be. */
export type StreamRecordInput = { readonly ok: true; readonly record: ParsedStreamRecord } | { readonly ok: false; readonly reason: string };

/** Parses one record as Lambda delivers it from a DynamoDB stream. */
export function parseStreamRecord(raw: unknown): StreamRecordInput {
  const parsed = DynamoDBStreamRecord.safeParse(raw);
  if (parsed.success) return { ok: true, record: parsed.data };
  return { ok: false, reason: `malformed stream record: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; ')}` };
}

/**
 * Wraps a DynamoDB stream consumer in the one chain every stream consumer uses: tracing, Lambda
 * context in the logs, each record parsed, and a partial batch response that keeps the stream's
 * order. The logic handles the records in order and returns how many it handled; the record at
 * that index and every record after it are reported in `batchItemFailures`, so Lambda retries
 * from the first one not handled. An error thrown is logged and rethrown: the whole batch is
 * retried (and, with bisection, split).
 */
export function streamHandler(logic: (records: readonly StreamRecordInput[], context: Context) => Promise<number>) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        logger.error('Stream batch failed', { error: request.error });
      },
    })
    .handler(async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
      const records = event.Records ?? [];
      const handled = await logic(records.map(parseStreamRecord), context);
      return { batchItemFailures: records.slice(handled).map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })) };
    });
}
