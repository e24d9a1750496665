import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { InvalidCursorError } from '../domain/errors.js';

/** A store position inside a cursor: the key of the last item read. */
export type CursorKey = Readonly<Record<string, string | number>>;

const envelopeSchema = z.strictObject({
  q: z.string(),
  k: z.record(z.string(), z.union([z.string(), z.number()])),
  s: z.string(),
});

/**
 * A checksum over the query and the position. It catches a cursor damaged or pasted into another
 * query by mistake; it is no signature (anyone can compute it), so what keeps a cursor inside its
 * query is that the query's own values bind it (`bound` below) and that the store builds its
 * partition keys from the query, never from the cursor.
 */
const seal = (query: string, key: CursorKey) =>
  createHash('sha256')
    .update(JSON.stringify([query, Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]))
    .digest('base64url')
    .slice(0, 22);

/**
 * An opaque `next_cursor`: the store position, the query it belongs to, and a checksum over both.
 * `query` names the query and its parameters, so a cursor only continues the query it came from.
 */
export function encodeCursor(query: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ q: query, k: key, s: seal(query, key) })).toString('base64url');
}

/**
 * Reads a cursor back. A cursor of another query, an altered one, one whose position does not fit
 * `keySchema` (the shape this query's positions have), or one whose position does not hold the
 * query's own values named in `bound` (its org, its flag) is a 400 `invalid_cursor`.
 */
export function decodeCursor<S extends z.core.$ZodType<CursorKey>>(
  query: string,
  cursor: string,
  keySchema: S,
  bound?: Readonly<Partial<Record<keyof z.infer<S>, string | number>>>,
): z.infer<S> {
  let envelope: z.infer<typeof envelopeSchema>;
  try {
    envelope = envelopeSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError();
  }
  if (envelope.q !== query || envelope.s !== seal(envelope.q, envelope.k)) throw new InvalidCursorError();
  const key = z.safeParse(keySchema, envelope.k);
  if (!key.success) throw new InvalidCursorError();
  if (Object.entries(bound ?? {}).some(([name, value]) => key.data[name] !== value)) throw new InvalidCursorError();
  return key.data;
}

/**
 * The cursors of one query: `read` turns a request's cursor into a store position, `write` a
 * position into `next_cursor`. `bound` names the values every position of this query holds (see
 * {@link decodeCursor}).
 */
export function queryCursor<S extends z.core.$ZodType<CursorKey>>(
  query: string,
  keySchema: S,
  bound?: Readonly<Partial<Record<keyof z.infer<S>, string | number>>>,
) {
  return {
    read: (cursor: string | undefined): z.infer<S> | undefined =>
      cursor === undefined ? undefined : decodeCursor(query, cursor, keySchema, bound),
    write: (key: Readonly<{ [name: string]: string | number | undefined }> | undefined): string | null =>
      key === undefined
        ? null
        : encodeCursor(
            query,
            Object.fromEntries(Object.entries(key).filter(([, value]) => value !== undefined)) as CursorKey,
          ),
  };
}
