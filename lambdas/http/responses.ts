import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DependencyUnavailableError, ServiceError } from '../domain/errors.js';
import { logger } from '../shared/powertools.js';

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** A JSON response with the service's standard headers. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return jsonText(statusCode, JSON.stringify(body), headers);
}

/** {@link json} for a body serialized already (when the text itself is needed, as for an ETag). */
export function jsonText(
  statusCode: number,
  text: string,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: text };
}

/**
 * The one place errors become HTTP responses: a ServiceError keeps its status and code; anything
 * else is logged in full and answered with a bare 500 that carries no detail.
 */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof ServiceError) {
    if (error.status >= 500) logger.warn('Dependency unavailable', { error });
    const headers: Record<string, string> =
      error instanceof DependencyUnavailableError ? { 'retry-after': String(error.retryAfterSeconds) } : {};
    return json(error.status, { error: { code: error.code, message: error.message, ...error.details } }, headers);
  }
  logger.error('Unhandled error', { error });
  return json(500, { error: { code: 'internal_error', message: 'Internal server error.' } });
}

/** 304 Not Modified: the client's copy (named by `etag`) is current. */
export function notModified(etag: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 304, headers: { etag, 'cache-control': 'no-store' } };
}
