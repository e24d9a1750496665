/** Base of every error a client can cause or see: it carries the HTTP status and a stable code. */
export abstract class ServiceError extends Error {
  abstract readonly status: number;
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ServiceError {
  readonly status = 400;
}

/** An evaluation request OFREP names an error code for; the evaluation routes answer it in OFREP's shape. */
export class EvaluationRequestError extends BadRequestError {
  constructor(
    readonly errorCode: 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT',
    message: string,
  ) {
    super(errorCode.toLowerCase(), message);
  }
}

export class UnknownFlagError extends BadRequestError {
  constructor(key: string, validKeys: readonly string[]) {
    super('unknown_flag', `Unknown flag '${key}'. Valid keys: ${validKeys.join(', ')}.`, {
      valid_keys: [...validKeys],
    });
  }
}

/** A paging cursor that does not continue the query it was sent with (or that the store refuses as a start key). */
export class InvalidCursorError extends BadRequestError {
  constructor() {
    super('invalid_cursor', 'The cursor is not one this query returned; start again without it.');
  }
}

export class UnauthorizedError extends ServiceError {
  readonly status = 401;
}

export class ForbiddenError extends ServiceError {
  readonly status = 403;
}

export class NotFoundError extends ServiceError {
  readonly status = 404;
}

export class ConflictError extends ServiceError {
  readonly status = 409;
}

/** A precondition the client named in a header (`If-Match`) no longer holds. */
export class PreconditionFailedError extends ServiceError {
  readonly status = 412;
}

export class PayloadTooLargeError extends ServiceError {
  readonly status = 413;
}

export class UnsupportedMediaTypeError extends ServiceError {
  readonly status = 415;
}

/** A dependency (DynamoDB) is throttling or unreachable: the client should retry later. */
export class DependencyUnavailableError extends ServiceError {
  readonly status = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super('dependency_unavailable', message);
  }
}

export function orgNotFound(orgId: string): NotFoundError {
  return new NotFoundError('org_not_found', `No org '${orgId}'.`);
}

export function flagNotFound(key: string): NotFoundError {
  return new NotFoundError('flag_not_found', `No flag '${key}'.`);
}
