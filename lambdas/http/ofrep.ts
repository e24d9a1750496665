import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  DependencyUnavailableError,
  EvaluationRequestError,
  ForbiddenError,
  NotFoundError,
  ServiceError,
  UnauthorizedError,
  UnknownFlagError,
} from '../domain/errors.js';
import type { OfrepErrorCode } from '../domain/ofrep.js';
import { evaluationRequestSchema } from '../domain/ofrep-schemas.js';
import { logger } from '../shared/powertools.js';
import { jsonBody, type HttpEvent } from './request.js';
import { json } from './responses.js';

/**
 * The org id of an evaluation request, from `context.targetingKey` of its JSON body. A body that is
 * not JSON is `PARSE_ERROR`; no `targetingKey` is `TARGETING_KEY_MISSING`; anything else amiss
 * (a `context` that is not an object, a `targetingKey` that is not an org id) is `INVALID_CONTEXT`.
 */
export function evaluationOrgId(event: HttpEvent): string {
  let body: unknown;
  try {
    body = jsonBody(event);
  } catch (error) {
    if (error instanceof ServiceError && error.status < 500)
      throw new EvaluationRequestError('PARSE_ERROR', error.message);
    throw error;
  }
  const parsed = z.safeParse(evaluationRequestSchema, body);
  if (parsed.success) return parsed.data.context.targetingKey;
  const context = isObject(body) ? (body.context ?? {}) : undefined;
  if (isObject(context) && (context.targetingKey === undefined || context.targetingKey === '')) {
    throw new EvaluationRequestError(
      'TARGETING_KEY_MISSING',
      'context.targetingKey is required: the id of the org to evaluate the flags for.',
    );
  }
  throw new EvaluationRequestError('INVALID_CONTEXT', z.prettifyError(parsed.error));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An OFREP error body; the single-flag route names its key in each. */
function failure(
  status: number,
  errorCode: OfrepErrorCode,
  errorDetails: string,
  key: string | undefined,
  headers: Record<string, string> = {},
) {
  return json(status, { ...(key === undefined ? {} : { key }), errorCode, errorDetails }, headers);
}

/**
 * The one place errors become responses on the evaluation routes, in OFREP's shapes: a bad
 * request is 400 with its error code; an org that does not exist, or that the token may not
 * evaluate, is the same 400 `INVALID_CONTEXT`; a flag the caller may not see or that does not
 * exist is 404 `FLAG_NOT_FOUND`; 401 and 403 have no body; DynamoDB throttling or unavailability
 * is 429 with `Retry-After` (the status OFREP clients back off on); another client error keeps its
 * status with `GENERAL`; anything else is 500 `GENERAL` with no detail, logged in full.
 */
export function ofrepErrorResponse(
  error: unknown,
  event: Pick<HttpEvent, 'pathParameters'>,
): APIGatewayProxyStructuredResultV2 {
  const key = event.pathParameters?.key;
  if (error instanceof EvaluationRequestError) return failure(400, error.errorCode, error.message, key);
  if (error instanceof UnauthorizedError)
    return { statusCode: 401, headers: { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' } };
  if (error instanceof ForbiddenError) return { statusCode: 403, headers: { 'cache-control': 'no-store' } };
  if (error instanceof NotFoundError && error.code === 'org_not_found') {
    return failure(400, 'INVALID_CONTEXT', `context.targetingKey: ${error.message}`, key);
  }
  if ((error instanceof NotFoundError && error.code === 'flag_not_found') || error instanceof UnknownFlagError) {
    return failure(404, 'FLAG_NOT_FOUND', error.message, key);
  }
  if (error instanceof ServiceError && error.status < 500) return failure(error.status, 'GENERAL', error.message, key);
  if (error instanceof DependencyUnavailableError) {
    logger.warn('Dependency unavailable', { error });
    return failure(429, 'GENERAL', error.message, key, { 'retry-after': String(error.retryAfterSeconds) });
  }
  logger.error('Unhandled error', { error });
  return failure(500, 'GENERAL', 'Internal server error.', key);
}
