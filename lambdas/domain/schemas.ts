import { z } from 'zod';
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
