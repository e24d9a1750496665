import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { withDeadline } from '../shared/deadline.js';
import { logger, tracer } from '../shared/powertools.js';

/**
 * Wraps a state machine task in the one chain every task uses: tracing, Lambda context in the
 * logs, the input parsed against its schema, and any failure logged and rethrown so that the
 * state machine's retry and catch rules take it. The task runs under the invocation's deadline
 * (lambdas/shared/deadline.ts), so it fails with a logged error rather than time out.
 */
export function taskHandler<S extends z.core.$ZodType, R>(
  input: S,
  logic: (input: z.infer<S>, context: Context) => Promise<R>,
) {
  return middy()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        logger.error('Task failed', { error: request.error });
      },
    })
    .use(parser({ schema: input }))
    .handler((task, context) => withDeadline(context, () => logic(task, context)));
}
