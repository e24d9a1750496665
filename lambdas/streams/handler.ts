import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { logger, tracer } from '../shared/powertools.js';
import '../../registry/zod-locale.js';

/** An item image in DynamoDB's attribute format, converted to plain values. */
const image = z.pipe(
  z.record(z.string(), z.record(z.string(), z.unknown())),
  z.transform((attributes, context) => {
    try {
      return unmarshall(attributes as unknown as Record<string, AttributeValue>) as Record<string, unknown>;
    } catch (error) {
      context.issues.push({
        code: 'custom',
        input: attributes,
        message: `not an item in DynamoDB's attribute format (${(error as Error).message})`,
      });
      return z.NEVER;
    }
  }),
);

/** The parts of a DynamoDB stream record (as Lambda delivers it) that the consumers read. */
const streamRecordSchema = z.object({
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  dynamodb: z.object({
    Keys: image,
    NewImage: z.optional(image),
    OldImage: z.optional(image),
    SequenceNumber: z.string(),
  }),
});

/** A stream record, its keys and images converted from DynamoDB's attribute format. */
export type StreamRecord = z.output<typeof streamRecordSchema>;

/** One record of a batch: parsed, or why it could not be. */
export type StreamRecordInput =
  { readonly ok: true; readonly record: StreamRecord } | { readonly ok: false; readonly reason: string };

/** Parses one record as Lambda delivers it from a DynamoDB stream. */
export function parseStreamRecord(raw: unknown): StreamRecordInput {
  const parsed = z.safeParse(streamRecordSchema, raw);
  if (parsed.success) return { ok: true, record: parsed.data };
  return { ok: false, reason: `malformed stream record:\n${z.prettifyError(parsed.error)}` };
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
      return {
        batchItemFailures: records
          .slice(handled)
          .map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })),
      };
    });
}
