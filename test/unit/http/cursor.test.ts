import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { BadRequestError, InvalidCursorError } from '../../../lambdas/domain/errors.js';
import { decodeCursor, encodeCursor } from '../../../lambdas/http/cursor.js';

const keySchema = z.object({ pk: z.literal('JOBS'), sk: z.string() }).strict();
const key = { pk: 'JOBS', sk: '20261123T101500Z-sync-3f9a1c' };

const rejection = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('cursors', () => {
  it('give back the position they were made from, for the same query', () => {
    expect(decodeCursor('jobs', encodeCursor('jobs', key), keySchema)).toEqual(key);
  });

  it.each([
    ['another query', () => decodeCursor('jobs?type=sync', encodeCursor('jobs', key), keySchema)],
    [
      'an altered position',
      () =>
        decodeCursor(
          'jobs',
          Buffer.from(
            Buffer.from(encodeCursor('jobs', key), 'base64url').toString().replace('3f9a1c', '000000'),
          ).toString('base64url'),
          keySchema,
        ),
    ],
    [
      'a position of another shape',
      () => decodeCursor('jobs', encodeCursor('jobs', { pk: 'ORG#acme', sk: '#ORG' }), keySchema),
    ],
    ['not base64 JSON', () => decodeCursor('jobs', '%%%', keySchema)],
    ['JSON of another shape', () => decodeCursor('jobs', Buffer.from('{"k":1}').toString('base64url'), keySchema)],
  ])('refuse %s with a 400 invalid_cursor', (_name, run) => {
    const error = rejection(run);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ code: 'invalid_cursor', status: 400 });
  });

  const historyKey = z.object({ orgId: z.string(), at: z.string() }).strict();

  it("give back a position that holds the query's own values", () => {
    const position = { orgId: 'acme', at: '2026-01-01T00:00:00.000Z' };
    expect(decodeCursor('history:acme', encodeCursor('history:acme', position), historyKey, { orgId: 'acme' })).toEqual(
      position,
    );
  });

  it("refuse a position that does not hold the query's own values, even sealed for the query", () => {
    const forged = encodeCursor('history:acme', { orgId: 'globex', at: '2026-01-01T00:00:00.000Z' });
    const error = rejection(() => decodeCursor('history:acme', forged, historyKey, { orgId: 'acme' }));
    expect(error).toBeInstanceOf(InvalidCursorError);
    expect(error).toMatchObject({ code: 'invalid_cursor', status: 400 });
  });
});
