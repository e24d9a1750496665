import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { MAX_BULK_ORGS } from './limits.js';
import { orgIdSchema } from './schemas.js';

/** Body of `POST /org-feature-flags`. `version`, when given, must equal the row's current version. */
export const setFlagBodySchema = z.strictObject({
  org_id: orgIdSchema,
  key: z.string({ error: 'key must be a string' }).check(z.minLength(1, 'key is required')),
  enabled: z.boolean({ error: 'enabled must be a boolean' }),
  version: z.optional(z.number().check(z.int(), z.nonnegative())),
});

export type SetFlagBody = z.infer<typeof setFlagBodySchema>;

/** `If-Match` of `POST /org-feature-flags`: one version, quoted as an ETag (`"17"`; `W/` is accepted). */
export const ifMatchSchema = z.pipe(
  z.string().check(z.regex(/^(W\/)?"\d{1,16}"$/, 'If-Match must be one quoted version, e.g. "1732358400000"')),
  z.transform((value: string) => Number(value.replace(/^(W\/)?"|"$/g, ''))),
);

/** Body of `POST /feature-flags/{key}/orgs`: set one flag for up to 100 orgs. */
export const bulkSetBodySchema = z.strictObject({
  org_ids: z.array(orgIdSchema, { error: 'org_ids must be an array of org ids' }).check(
    z.minLength(1, 'org_ids must name at least one org'),
    z.maxLength(MAX_BULK_ORGS, `org_ids must name at most ${MAX_BULK_ORGS} orgs`),
    z.refine((ids) => new Set(ids).size === ids.length, 'org_ids must not repeat an org'),
  ),
  enabled: z.boolean({ error: 'enabled must be a boolean' }),
});

export type BulkSetBody = z.infer<typeof bulkSetBodySchema>;
