import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import * as z from 'zod/mini';
import { callerFromToken, type Caller } from '../domain/caller.js';
import {
  BadRequestError,
  ForbiddenError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../domain/errors.js';

/** The HTTP API event of a route behind the JWT authorizer (payload format 2.0). */
export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

/** Largest JSON body accepted; the API's bodies are a few hundred bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The caller, from the claims and scopes the JWT authorizer verified. */
export function callerOf(event: HttpEvent): Caller {
  const jwt = event.requestContext.authorizer?.jwt;
  if (!jwt) throw new UnauthorizedError('unauthorized', 'A bearer token is required.');
  const claims = jwt.claims ?? {};
  return callerFromToken(scopesOf(jwt.scopes, claims), claims);
}

function scopesOf(scopes: readonly string[] | null | undefined, claims: Record<string, unknown>): string[] {
  if (scopes && scopes.length > 0) return [...scopes];
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  if (Array.isArray(claims.scp)) return claims.scp.filter((s): s is string => typeof s === 'string');
  if (typeof claims.scp === 'string') return claims.scp.split(' ').filter(Boolean);
  return [];
}

/** Parses input with a zod schema; a mismatch is a 400 naming each bad field. */
export function parseInput<S extends z.core.$ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || null,
    message: issue.message,
  }));
  throw new BadRequestError('invalid_request', z.prettifyError(result.error), { issues });
}

/** The request's JSON body: 415 if not JSON, 413 if larger than `maxBytes`, 400 if it does not parse. */
export function jsonBody(event: HttpEvent, maxBytes: number = MAX_BODY_BYTES): unknown {
  const contentType = event.headers['content-type'];
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
    throw new UnsupportedMediaTypeError(
      'unsupported_media_type',
      "The body must be JSON, sent with 'Content-Type: application/json'.",
    );
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  if (raw.byteLength > maxBytes) {
    throw new PayloadTooLargeError('payload_too_large', `The body must be at most ${maxBytes} bytes.`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadRequestError('malformed_json', 'The body is not valid JSON.');
  }
}

/** The request's JSON body, or `{}` when there is none (for routes whose body is optional). */
export function optionalJsonBody(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === '') return {};
  return jsonBody(event);
}

/** The caller, who must be a platform admin. */
export function adminOf(event: HttpEvent, action: string): Caller {
  const caller = callerOf(event);
  if (caller.role !== 'admin') throw new ForbiddenError('forbidden', `Only platform admins may ${action}.`);
  return caller;
}

/** The caller, who must be staff: a platform admin or a service. */
export function staffOf(event: HttpEvent, action: string): Caller {
  const caller = callerOf(event);
  if (caller.role === 'org') throw new ForbiddenError('forbidden', `Only platform admins and services may ${action}.`);
  return caller;
}

/** Whether an `If-None-Match` header names `etag` (or `*`); weak validators compare equal. */
export function matchesIfNoneMatch(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/** A request header (API Gateway lower-cases their names). */
export function header(event: HttpEvent, name: string): string | undefined {
  return event.headers[name.toLowerCase()];
}
