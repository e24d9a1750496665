import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { BadRequestError } from '../domain/errors.js';

/** A store position inside a cursor: the key of the last item read. */
export type CursorKey = Readonly<Record<string, string | number>>;

const envelopeSchema = z.strictObject({
  q: z.string(),
  k: z.record(z.string(), z.union([z.string(), z.number()])),
  s: z.string(),
});

const seal = (query: string, key: CursorKey) =>
  createHash('sha256')
    .update(JSON.stringify([query, Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]))
    .digest('base64url')
    .slice(0, 22);

const badCursor = () =>
  new BadRequestError('invalid_cursor', 'The cursor is not one this query returned; start again without it.');

/**
 * An opaque `next_cursor`: the store position, the query it belongs to, and a checksum over both.
 * `query` names the query and its parameters, so a cursor only continues the query it came from.
 */
export function encodeCursor(query: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ q: query, k: key, s: seal(query, key) })).toString('base64url');
}

/**
 * Reads a cursor back. A cursor of another query, an altered one, or one whose position does not
 * fit `keySchema` (the shape this query's positions have) is a 400 `invalid_cursor`.
 */
export function decodeCursor<S extends z.core.$ZodType<CursorKey>>(
  query: string,
  cursor: string,
  keySchema: S,
): z.infer<S> {
  let envelope: z.infer<typeof envelopeSchema>;
  try {
    envelope = envelopeSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw badCursor();
  }
  if (envelope.q !== query || envelope.s !== seal(envelope.q, envelope.k)) throw badCursor();
  const key = z.safeParse(keySchema, envelope.k);
  if (!key.success) throw badCursor();
  return key.data;
}

/** The cursors of one query: `read` turns a request's cursor into a store position, `write` a position into `next_cursor`. */
export function queryCursor<S extends z.core.$ZodType<CursorKey>>(query: string, keySchema: S) {
  return {
    read: (cursor: string | undefined): z.infer<S> | undefined =>
      cursor === undefined ? undefined : decodeCursor(query, cursor, keySchema),
    write: (key: Readonly<{ [name: string]: string | number | undefined }> | undefined): string | null =>
      key === undefined
        ? null
        : encodeCursor(
            query,
            Object.fromEntries(Object.entries(key).filter(([, value]) => value !== undefined)) as CursorKey,
          ),
  };
}
