import { describe, expect, test } from '@jest/globals';
import {
  BadRequestError,
  EvaluationRequestError,
  ForbiddenError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnknownFlagError,
  flagNotFound,
  orgNotFound,
} from '../../../lambdas/domain/errors.js';
import { evaluationOrgId, ofrepErrorResponse } from '../../../lambdas/http/ofrep.js';
import { httpEvent } from '../../support/events.js';

const single = { pathParameters: { key: 'chat' } };
const bulk = { pathParameters: undefined };
const bodyOf = (response: { body?: string }) => JSON.parse(response.body ?? '') as unknown;

describe("the OpenFeature routes' error mapping", () => {
  test("answers each evaluation error in OFREP's shape, naming the key on the single-flag route only", () => {
    const error = new EvaluationRequestError('TARGETING_KEY_MISSING', 'context.targetingKey is required');
    expect(bodyOf(ofrepErrorResponse(error, single))).toEqual({
      key: 'chat',
      errorCode: 'TARGETING_KEY_MISSING',
      errorDetails: 'context.targetingKey is required',
    });
    expect(bodyOf(ofrepErrorResponse(error, bulk))).toEqual({
      errorCode: 'TARGETING_KEY_MISSING',
      errorDetails: 'context.targetingKey is required',
    });
    expect(ofrepErrorResponse(error, single).statusCode).toBe(400);
    expect(ofrepErrorResponse(error, single).headers?.['content-type']).toMatch(/^application\/json/);
  });

  test('answers a missing org with INVALID_CONTEXT, and a flag the caller may not see or that does not exist with FLAG_NOT_FOUND', () => {
    expect(ofrepErrorResponse(orgNotFound('acme'), single)).toMatchObject({ statusCode: 400 });
    expect(bodyOf(ofrepErrorResponse(orgNotFound('acme'), single))).toEqual({
      key: 'chat',
      errorCode: 'INVALID_CONTEXT',
      errorDetails: "context.targetingKey: No org 'acme'.",
    });
    for (const error of [flagNotFound('chat'), new UnknownFlagError('chat', ['composer'])]) {
      const response = ofrepErrorResponse(error, single);
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response)).toMatchObject({ key: 'chat', errorCode: 'FLAG_NOT_FOUND' });
    }
  });

  test('answers 401 and 403 with no body', () => {
    const unauthorized = ofrepErrorResponse(
      new UnauthorizedError('unauthorized', 'A bearer token is required.'),
      single,
    );
    expect(unauthorized).toEqual({
      statusCode: 401,
      headers: { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' },
    });
    const forbidden = ofrepErrorResponse(
      new ForbiddenError('forbidden', 'An org token must carry the org_id claim.'),
      bulk,
    );
    expect(forbidden).toEqual({ statusCode: 403, headers: { 'cache-control': 'no-store' } });
  });

  test('keeps the status of any other client error, and answers anything unexpected with a bare 500 GENERAL', () => {
    const tooLarge = ofrepErrorResponse(
      new PayloadTooLargeError('payload_too_large', 'The body must be at most 16384 bytes.'),
      bulk,
    );
    expect(tooLarge.statusCode).toBe(413);
    expect(bodyOf(tooLarge)).toEqual({ errorCode: 'GENERAL', errorDetails: 'The body must be at most 16384 bytes.' });
    const crash = ofrepErrorResponse(
      new TypeError("Cannot read properties of undefined (reading 'x') at /var/task/index.mjs:1:2"),
      single,
    );
    expect(crash.statusCode).toBe(500);
    expect(bodyOf(crash)).toEqual({ key: 'chat', errorCode: 'GENERAL', errorDetails: 'Internal server error.' });
  });
});

describe('the org id of an evaluation request', () => {
  const request = (body: unknown, contentType = 'application/json') =>
    httpEvent({ method: 'POST', path: '/ofrep/v1/evaluate/flags', body, headers: { 'content-type': contentType } });
  const codeOf = (body: unknown, contentType?: string) => {
    try {
      evaluationOrgId(request(body, contentType));
      return 'none';
    } catch (error) {
      return error instanceof EvaluationRequestError
        ? error.errorCode
        : error instanceof BadRequestError
          ? error.code
          : String(error);
    }
  };

  test('is context.targetingKey, other context attributes ignored', () => {
    expect(evaluationOrgId(request({ context: { targetingKey: 'acme', email: 'a@example.com', plan: 'pro' } }))).toBe(
      'acme',
    );
  });

  test('is TARGETING_KEY_MISSING without it, INVALID_CONTEXT when it is no org id or the context no object, PARSE_ERROR for a body that is not JSON', () => {
    expect(codeOf({ context: {} })).toBe('TARGETING_KEY_MISSING');
    expect(codeOf({ context: { targetingKey: '' } })).toBe('TARGETING_KEY_MISSING');
    expect(codeOf({})).toBe('TARGETING_KEY_MISSING');
    expect(codeOf({ context: { targetingKey: 'a b' } })).toBe('INVALID_CONTEXT');
    expect(codeOf({ context: { targetingKey: 42 } })).toBe('INVALID_CONTEXT');
    expect(codeOf({ context: 'acme' })).toBe('INVALID_CONTEXT');
    expect(codeOf([])).toBe('INVALID_CONTEXT');
    expect(codeOf('{"context":')).toBe('PARSE_ERROR');
    expect(codeOf('targetingKey=acme', 'application/x-www-form-urlencoded')).toBe('PARSE_ERROR');
  });
});
