import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { JOB_ID_PATTERN, STARTABLE_JOB_TYPES, type JobType } from './jobs.js';
import { DEFAULT_STALE_DAYS } from './report.js';

/** `{type}` of `POST /jobs/{type}`. */
export const jobTypePathSchema = z.object({
  type: z.enum(STARTABLE_JOB_TYPES, { error: `type must be one of: ${STARTABLE_JOB_TYPES.join(', ')}` }),
});

/** Options of each job type, as `POST /jobs/{type}` takes them in its (optional) JSON body. */
export const jobOptionsSchemas = {
  sync: z.strictObject({
    /** Count the rows each org lacks and write nothing. */
    dry_run: z._default(z.boolean({ error: 'dry_run must be a boolean' }), false),
    /** Visit every org, also those already synced to this registry version. */
    force: z._default(z.boolean({ error: 'force must be a boolean' }), false),
  }),
  'orphan-cleanup': z.strictObject({
    /** Report only (the default); `false` exports the orphan rows and then deletes them. */
    dry_run: z._default(z.boolean({ error: 'dry_run must be a boolean' }), true),
  }),
  report: z.strictObject({
    /** A flag on for every org is stale when its latest `enabled_at` is older than this many days. */
    stale_days: z._default(
      z.number({ error: 'stale_days must be a number' }).check(z.int(), z.minimum(1), z.maximum(3650)),
      DEFAULT_STALE_DAYS,
    ),
  }),
  /** Started by `POST /rollouts/{rollout_id}/preview`, not by `POST /jobs/{type}`. */
  'rollout-preview': z.strictObject({ rollout_id: z.string(), definition_hash: z.string() }),
} as const satisfies Record<JobType, z.ZodMiniType>;

/** What the job state machine passes to its worker: run the next page, or record that the run failed. */
export const jobTaskSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('run'), job_id: z.string().check(z.regex(JOB_ID_PATTERN)) }),
  z.object({
    action: z.literal('fail'),
    job_id: z.string().check(z.regex(JOB_ID_PATTERN)),
    /** The error Step Functions caught: `Error` is its name, `Cause` its detail. */
    error: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
  }),
]);

export type JobTask = z.infer<typeof jobTaskSchema>;
