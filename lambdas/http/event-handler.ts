import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from '../shared/powertools.js';

/**
 * Wraps an EventBridge consumer in the one chain every consumer uses: Lambda context in the logs,
 * a logged reason for any failure, then the event parsed against its detail schema. Errors are
 * rethrown, never swallowed, so the platform retries and finally dead-letters the event.
 */
export function eventHandler<D extends z.ZodType>(
  detailType: string,
  detail: D,
  logic: (event: z.infer<ReturnType<typeof eventSchema<D>>>, context: Context) => Promise<void>,
) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        logger.error('Event rejected', { reason: request.error?.message, error: request.error });
      },
    })
    .use(parser({ schema: eventSchema(detailType, detail) }))
    .handler(logic);
}

function eventSchema<D extends z.ZodType>(detailType: string, detail: D) {
  return EventBridgeSchema.extend({ 'detail-type': EventBridgeSchema.shape['detail-type'].refine((t) => t === detailType, `detail-type must be ${detailType}`), detail });
}
