import * as z from 'zod';
import { JOB_ID_PATTERN, JOB_TYPES, type JobType } from './jobs.js';
import { DEFAULT_STALE_DAYS } from './report.js';

/** An org id: 1–64 letters, digits, `-` and `_`. */
export const orgIdSchema = z
  .string({ error: 'org_id must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'org_id must be 1-64 characters of letters, digits, - and _');

export const orgPathSchema = z.object({ org_id: orgIdSchema });

/** Body of `POST /org-feature-flags`. `version`, when given, must equal the row's current version. */
export const setFlagBodySchema = z
  .object({
    org_id: orgIdSchema,
    key: z.string({ error: 'key must be a string' }).min(1, 'key is required'),
    enabled: z.boolean({ error: 'enabled must be a boolean' }),
    version: z.number().int().nonnegative().optional(),
  })
  .strict();

export type SetFlagBody = z.infer<typeof setFlagBodySchema>;

/** A flag key as a path parameter; whether it is in the registry is the use case's to say. */
export const flagKeySchema = z.string({ error: 'key must be a string' }).min(1, 'key is required').max(128, 'key must be at most 128 characters');

export const flagPathSchema = z.object({ key: flagKeySchema });

export const orgFlagPathSchema = z.object({ org_id: orgIdSchema, key: flagKeySchema });

/** `limit` and `cursor` of a paginated GET. */
const page = (max: number, fallback: number) => ({
  limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1, `limit must be 1-${max}`).max(max, `limit must be 1-${max}`).default(fallback),
  cursor: z.string().min(1).optional(),
});

/** Query of `GET /orgs`: orgs by id, optionally only those whose id starts with `prefix`. */
export const listOrgsQuerySchema = z
  .object({
    prefix: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'prefix must be 1-64 characters of letters, digits, - and _').optional(),
    ...page(200, 50),
  })
  .strict();

/** Query of `GET /org-feature-flags/by-flag/{key}`: every org's state of one flag, optionally only those on or off. */
export const byFlagQuerySchema = z
  .object({
    enabled: z
      .enum(['true', 'false'], { error: 'enabled must be true or false' })
      .transform((value) => value === 'true')
      .optional(),
    ...page(200, 50),
  })
  .strict();

/** Query of `GET /org-feature-flags/{org_id}/history`: newest first, optionally of one flag. */
export const orgHistoryQuerySchema = z.object({ key: flagKeySchema.optional(), ...page(200, 50) }).strict();

/** Query of `GET /feature-flags/{key}/history`: one flag's changes across orgs, newest first. */
export const flagHistoryQuerySchema = z.object({ ...page(200, 50) }).strict();

/** Most orgs one bulk change may name. */
export const MAX_BULK_ORGS = 100;

/** Body of `POST /feature-flags/{key}/orgs`: set one flag for up to 100 orgs. */
export const bulkSetBodySchema = z
  .object({
    org_ids: z
      .array(orgIdSchema, { error: 'org_ids must be an array of org ids' })
      .min(1, 'org_ids must name at least one org')
      .max(MAX_BULK_ORGS, `org_ids must name at most ${MAX_BULK_ORGS} orgs`)
      .refine((ids) => new Set(ids).size === ids.length, 'org_ids must not repeat an org'),
    enabled: z.boolean({ error: 'enabled must be a boolean' }),
  })
  .strict();

export type BulkSetBody = z.infer<typeof bulkSetBodySchema>;

/** `If-Match` of `POST /org-feature-flags`: one version, quoted as an ETag (`"17"`; `W/` is accepted). */
export const ifMatchSchema = z
  .string()
  .regex(/^(W\/)?"\d{1,16}"$/, 'If-Match must be one quoted version, e.g. "1732358400000"')
  .transform((value) => Number(value.replace(/^(W\/)?"|"$/g, '')));

/** `detail` of an `OrgCreated` event: only `org_id` is required; other fields are kept as they come. */
export const orgCreatedDetailSchema = z.looseObject({ org_id: orgIdSchema });

export type OrgCreatedDetail = z.infer<typeof orgCreatedDetailSchema>;

/** `{type}` of `POST /jobs/{type}`. */
export const jobTypePathSchema = z.object({
  type: z.enum(JOB_TYPES, { error: `type must be one of: ${JOB_TYPES.join(', ')}` }),
});

/** `{job_id}` of the job routes. */
export const jobIdPathSchema = z.object({
  job_id: z.string().regex(JOB_ID_PATTERN, 'job_id is not a job id (e.g. 20261123T101500Z-sync-3f9a1c)'),
});

/** Options of each job type, as `POST /jobs/{type}` takes them in its (optional) JSON body. */
export const jobOptionsSchemas = {
  sync: z
    .object({
      /** Count the rows each org lacks and write nothing. */
      dry_run: z.boolean({ error: 'dry_run must be a boolean' }).default(false),
      /** Visit every org, also those already synced to this registry version. */
      force: z.boolean({ error: 'force must be a boolean' }).default(false),
    })
    .strict(),
  'orphan-cleanup': z
    .object({
      /** Report only (the default); `false` exports the orphan rows and then deletes them. */
      dry_run: z.boolean({ error: 'dry_run must be a boolean' }).default(true),
    })
    .strict(),
  report: z
    .object({
      /** A flag on for every org is stale when its latest `enabled_at` is older than this many days. */
      stale_days: z.number({ error: 'stale_days must be a number' }).int().min(1).max(3650).default(DEFAULT_STALE_DAYS),
    })
    .strict(),
} as const satisfies Record<JobType, z.ZodType>;

/** Query of `GET /jobs`. */
export const listJobsQuerySchema = z
  .object({
    limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1).max(100).default(20),
    cursor: z.string().min(1).optional(),
  })
  .strict();

/** What the job state machine passes to its worker: run the next page, or record that the run failed. */
export const jobTaskSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('run'), job_id: z.string().regex(JOB_ID_PATTERN) }),
  z.object({
    action: z.literal('fail'),
    job_id: z.string().regex(JOB_ID_PATTERN),
    /** The error Step Functions caught: `Error` is its name, `Cause` its detail. */
    error: z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
]);

export type JobTask = z.infer<typeof jobTaskSchema>;

/** `detail` of CloudFormation's `CloudFormation Stack Status Change` event. */
export const stackStatusDetailSchema = z.looseObject({
  'stack-id': z.string(),
  'status-details': z.looseObject({ status: z.string() }),
});
