import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { withDeadline } from '../shared/deadline.js';
import { logger, tracer } from '../shared/powertools.js';
import type { HttpEvent } from './request.js';
import { errorResponse } from './responses.js';

/** A route's logic: from the authorized event to a response; errors are mapped by the chain. */
export type RouteLogic = (event: HttpEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Wraps route logic in the one middleware chain every HTTP handler uses: tracing, then the Lambda
 * context in the logs, then the error mapping (`errors`: the API's, or the OpenFeature routes'), so
 * that anything thrown inside becomes a JSON error.
 * The logic runs under the invocation's deadline (lambdas/shared/deadline.ts): shortly before the
 * function would time out, its DynamoDB calls are aborted and the answer is a 503.
 */
export function httpHandler(
  logic: RouteLogic,
  errors: (error: unknown, event: HttpEvent) => APIGatewayProxyStructuredResultV2 = errorResponse,
) {
  // middy's own early timeout would answer a 500 five milliseconds before the end; the deadline replaces it.
  return (
    middy<HttpEvent, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
      // The response stays out of the trace: it holds orgs' flags, and a large one (the API description)
      // would push the segment past X-Ray's 64 KB, which drops it.
      .use(captureLambdaHandler(tracer, { captureResponse: false }))
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use({
        onError: (request) => {
          request.response = errors(request.error, request.event);
        },
      })
      .handler((event, context) => withDeadline(context, () => logic(event, context)))
  );
}
