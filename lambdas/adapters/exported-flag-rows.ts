import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { FLAG_SOURCES } from '../domain/flags.js';
import type { ExportedRowReader } from '../domain/job-store.js';
import { orgIdSchema } from '../domain/schemas.js';
import { flagItem, toFlagRow } from './dynamodb-flag-store.js';

const timestamp = z.iso.datetime();

/** Exactly the attributes the flag store writes for a flag row (`flagItem`), with their types. */
const storedFlagRowSchema = z.strictObject({
  pk: z.string(),
  sk: z.string(),
  type: z.literal('flag'),
  org_id: orgIdSchema,
  key: z.string().check(z.minLength(1)),
  enabled: z.boolean(),
  version: z.int().check(z.positive()),
  source: z.enum(FLAG_SOURCES),
  created_at: timestamp,
  updated_at: timestamp,
  updated_by: z.string().check(z.minLength(1)),
  updated_by_email: z.optional(z.string()),
  enabled_at: z.optional(timestamp),
  gsi1pk: z.string(),
  gsi1sk: z.string(),
});

/** The attributes of a flag row's item that follow from its org and key. */
const DERIVED = ['pk', 'sk', 'gsi1pk', 'gsi1sk'] as const;

/**
 * Orphan exports hold flag rows as the DynamoDB flag store wrote them. An item is read back only
 * when it is exactly such a row: no attribute the store does not write, each of the right type,
 * and its key and index attributes those of its own org and flag.
 */
export const exportedFlagRows: ExportedRowReader = {
  read(item) {
    const parsed = z.safeParse(storedFlagRowSchema, item);
    if (!parsed.success) return { problem: z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ') };
    const row = toFlagRow(parsed.data);
    const expected = flagItem(row);
    const wrong = DERIVED.filter((name) => parsed.data[name] !== expected[name]);
    if (wrong.length > 0) {
      return {
        problem: `${wrong.join(', ')} must be ${wrong.map((name) => JSON.stringify(expected[name])).join(', ')} for org '${row.orgId}' and key '${row.key}'`,
      };
    }
    return { row };
  },
};
