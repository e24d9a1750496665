import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { withDeadline } from '../shared/deadline.js';
import { logger, tracer } from '../shared/powertools.js';
import '../../registry/zod-locale.js';

/**
 * Wraps an EventBridge consumer in the one chain every consumer uses: tracing, Lambda context in the logs,
 * a logged reason for any failure, then the event parsed against its detail schema. Errors are
 * rethrown, never swallowed, so the platform retries and finally dead-letters the event. The
 * consumer runs under the invocation's deadline (lambdas/shared/deadline.ts), so it fails with a
 * logged reason rather than time out.
 */
export function eventHandler<D extends z.core.$ZodType>(
  detailType: string,
  detail: D,
  logic: (event: z.infer<ReturnType<typeof eventSchema<D>>>, context: Context) => Promise<void>,
) {
  return middy()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const reason = rejectionReason(request.error);
        logger.error('Event rejected', { reason, error: request.error });
        request.error = new Error(`Event rejected: ${reason}`, { cause: request.error });
      },
    })
    .use(parser({ schema: eventSchema(detailType, detail) }))
    .handler((event, context) => withDeadline(context, () => logic(event, context)));
}

/**
 * EventBridge's event envelope, field for field as `@aws-lambda-powertools/parser/schemas/eventbridge`
 * declares it. Declared here rather than imported: that module imports zod's `z` export, through
 * which esbuild bundles all of zod's locales (about 350 KB) into the function.
 */
export const EventBridgeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

function eventSchema<D extends z.core.$ZodType>(detailType: string, detail: D) {
  return z.extend(EventBridgeSchema, {
    'detail-type': EventBridgeSchema.shape['detail-type'].check(
      z.refine((t) => t === detailType, `detail-type must be ${detailType}`),
    ),
    detail,
  });
}

/** A readable reason: the schema issues of a malformed event, or the error's message. */
function rejectionReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const issues = error.cause;
  if (Array.isArray(issues) && issues.length > 0) {
    return `malformed event: ${issues
      .map(
        (issue: { path?: unknown[]; message?: string }) =>
          `${(issue.path ?? []).join('.') || 'event'}: ${issue.message}`,
      )
      .join('; ')}`;
  }
  return error.message;
}
