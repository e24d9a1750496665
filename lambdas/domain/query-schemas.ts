import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { JOB_ID_PATTERN } from './jobs.js';
import { orgAttributeFilterQuery } from './org-attribute-schemas.js';
import { flagKeySchema, orgIdSchema } from './schemas.js';

/** `limit` (1-200, 50 unless given) and `cursor` of a paginated GET; one instance for every query. */
const page = {
  limit: z._default(
    z.coerce
      .number({ error: 'limit must be a number' })
      .check(z.int(), z.minimum(1, 'limit must be 1-200'), z.maximum(200, 'limit must be 1-200')),
    50,
  ),
  cursor: z.optional(z.string().check(z.minLength(1))),
};

/** Query of `GET /orgs`: orgs by id, optionally only those whose id starts with `prefix`. */
export const listOrgsQuerySchema = z.strictObject({
  prefix: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'prefix must be 1-64 characters of letters, digits, - and _')),
  ),
  ...page,
  ...orgAttributeFilterQuery,
});

/** Query of `GET /org-feature-flags/by-flag/{key}`: every org's state of one flag, optionally only those on or off. */
export const byFlagQuerySchema = z.strictObject({
  enabled: z.optional(
    z.pipe(
      z.enum(['true', 'false'], { error: 'enabled must be true or false' }),
      z.transform((value: 'true' | 'false') => value === 'true'),
    ),
  ),
  ...page,
});

/** Query of `GET /org-feature-flags/{org_id}/history`: newest first, optionally of one flag. */
export const orgHistoryQuerySchema = z.strictObject({ key: z.optional(flagKeySchema), ...page });

/** Query of `GET /feature-flags/{key}/history`: one flag's changes across orgs, newest first. */
export const flagHistoryQuerySchema = z.strictObject({ ...page });

/** Query of `GET /jobs`. */
export const listJobsQuerySchema = z.strictObject({
  limit: z._default(
    z.coerce.number({ error: 'limit must be a number' }).check(z.int(), z.minimum(1), z.maximum(100)),
    20,
  ),
  cursor: z.optional(z.string().check(z.minLength(1))),
});

// Positions inside the paging cursors (lambdas/http/cursor.ts): the last item a page read, never a
// store key. The store builds the partition it reads from the query, so a position only says where
// in that partition to go on.

/** A position in a list ordered by org id (`GET /orgs`, one flag across orgs): the last org listed. */
export const orgPositionSchema = z.strictObject({ after: orgIdSchema });

/** A position in a history (`HistoryPosition`): the last entry read. */
export const historyPositionSchema = z.strictObject({
  changedAt: z.iso.datetime(),
  orgId: orgIdSchema,
  key: flagKeySchema,
  version: z.int().check(z.positive()),
});

/** A position in the job listing: the last job listed. */
export const jobPositionSchema = z.strictObject({ after: z.string().check(z.regex(JOB_ID_PATTERN)) });
