import { randomBytes } from 'node:crypto';
import { idStamp } from './ids.js';
import type { FleetReportState, StaleReport } from './report.js';
import type { PreviewTally } from './rollouts.js';

/** The kinds of job that run over every org. */
export const JOB_TYPES = ['sync', 'orphan-cleanup', 'report', 'rollout-preview'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** The job types `POST /jobs/{type}` starts; the others are started by what they serve (a rollout's preview). */
export const STARTABLE_JOB_TYPES = ['sync', 'orphan-cleanup', 'report'] as const satisfies readonly JobType[];
export type StartableJobType = (typeof STARTABLE_JOB_TYPES)[number];

/** `running` until the last page is done; `failed` when an org failed or the engine gave up (resumable). */
export type JobStatus = 'running' | 'succeeded' | 'failed';

/** What a job was asked to do; each type reads only its own fields. */
export interface JobOptions {
  /** sync and orphan-cleanup: count what would change and change nothing. */
  readonly dry_run?: boolean;
  /** sync: visit orgs already synced to this registry version too. */
  readonly force?: boolean;
  /** report: a flag on for every org counts as stale when its latest `enabled_at` is older than this. */
  readonly stale_days?: number;
  /** rollout-preview: the rollout previewed, and the hash of the definition the preview is of. */
  readonly rollout_id?: string;
  readonly definition_hash?: string;
}

/** Running totals of a job. */
export interface JobCounts {
  orgs_seen: number;
  /** Orgs that needed work (sync: a row missing; orphan-cleanup: an orphan row). */
  orgs_changed: number;
  /** Orgs passed over: already synced to this registry version. */
  orgs_skipped: number;
  /** Orgs whose work failed; the job ends `failed` when this is not zero. */
  orgs_failed: number;
  /** sync: rows an org lacked. */
  rows_missing: number;
  rows_written: number;
  /** orphan-cleanup: rows of retired or unknown keys found. */
  orphan_rows: number;
  rows_exported: number;
  rows_deleted: number;
}

/** One failure, as kept on the job (only the first few are kept). */
export interface JobError {
  readonly org_id: string | null;
  readonly message: string;
  readonly at: string;
}

/** What a finished job produced, for each job type (a type without its entry fails the type check). */
interface JobResultFields {
  readonly sync: { readonly registry_version: string };
  readonly 'orphan-cleanup': {
    readonly dry_run: boolean;
    readonly orphans_by_key: Readonly<Record<string, number>>;
    /** Where the deleted rows were exported, when any were deleted. */
    readonly export_location: string | null;
  };
  readonly report: { readonly report: StaleReport };
  readonly 'rollout-preview': {
    readonly rollout_id: string;
    readonly definition_hash: string;
    readonly tally: PreviewTally;
  };
}

/** The result of a finished job of type `T`, tagged with its type. */
export type JobResultOf<T extends JobType> = { readonly type: T } & JobResultFields[T];

/** What a finished job produced: one of {@link JobResultOf} each type. */
export type JobResult = { [T in JobType]: JobResultOf<T> }[JobType];

/** A job over all orgs, as stored: its options, where it stands (the checkpoint) and its totals. */
export interface Job {
  readonly id: string;
  readonly type: JobType;
  readonly status: JobStatus;
  readonly options: JobOptions;
  /** The registry the job was started with. */
  readonly registryVersion: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
  /** Orgs counted when the job began; orgs created meanwhile may make `orgs_seen` exceed it. */
  readonly orgsTotal?: number;
  /** Pages finished; the checkpoint is written with this count as its condition. */
  readonly pagesDone: number;
  /** Where the next page starts; absent before the first page and after the last. */
  readonly cursor?: Readonly<Record<string, unknown>>;
  readonly counts: JobCounts;
  readonly errors: readonly JobError[];
  /** Why the engine gave up, when it did. */
  readonly failure?: string;
  /** report: the report being built, carried from page to page. */
  readonly reportState?: FleetReportState;
  /** orphan-cleanup: orphan rows found so far, by key. */
  readonly orphansByKey?: Readonly<Record<string, number>>;
  /** rollout-preview: the counts so far. */
  readonly previewTally?: PreviewTally;
  readonly result?: JobResult;
  /** How many times the job was resumed after failing. */
  readonly resumes: number;
}

/** How many errors a job keeps. */
export const MAX_JOB_ERRORS = 10;

export function zeroCounts(): JobCounts {
  return {
    orgs_seen: 0,
    orgs_changed: 0,
    orgs_skipped: 0,
    orgs_failed: 0,
    rows_missing: 0,
    rows_written: 0,
    orphan_rows: 0,
    rows_exported: 0,
    rows_deleted: 0,
  };
}

export function addCounts(a: JobCounts, b: Partial<JobCounts>): JobCounts {
  const sum = { ...a };
  for (const [name, value] of Object.entries(b) as [keyof JobCounts, number][]) sum[name] += value;
  return sum;
}

/**
 * A job id says when, to the millisecond, and what: `20261123T101500123Z-sync-3f9a1c`. It sorts by
 * start time, so jobs started within one second list in order. Ids made before the milliseconds
 * were added (`20261123T101500Z-sync-3f9a1c`) are still accepted.
 */
export const JOB_ID_PATTERN = new RegExp(`^\\d{8}T\\d{6}(\\d{3})?Z-(${JOB_TYPES.join('|')})-[0-9a-f]{6}$`);

export function newJobId(type: JobType, now: Date): string {
  return `${idStamp(now)}-${type}-${randomBytes(3).toString('hex')}`;
}

/** A new job, before its first page. */
export function newJob(
  type: JobType,
  options: JobOptions,
  context: { registryVersion: string; actor: string; now: Date },
): Job {
  const at = context.now.toISOString();
  return {
    id: newJobId(type, context.now),
    type,
    status: 'running',
    options,
    registryVersion: context.registryVersion,
    createdAt: at,
    createdBy: context.actor,
    updatedAt: at,
    pagesDone: 0,
    counts: zeroCounts(),
    errors: [],
    resumes: 0,
  };
}

/** A job as the API shows it. */
export function jobView(job: Job) {
  const total = job.orgsTotal ?? null;
  const finished = job.status !== 'running';
  return {
    job_id: job.id,
    type: job.type,
    status: job.status,
    options: job.options,
    registry_version: job.registryVersion,
    created_at: job.createdAt,
    created_by: job.createdBy,
    updated_at: job.updatedAt,
    finished_at: job.finishedAt ?? null,
    progress: {
      orgs_total: total,
      orgs_done: job.counts.orgs_seen,
      pages_done: job.pagesDone,
      percent:
        finished && job.status === 'succeeded'
          ? 100
          : total
            ? Math.min(99, Math.floor((job.counts.orgs_seen / total) * 100))
            : 0,
    },
    counts: job.counts,
    errors: job.errors,
    failure: job.failure ?? null,
    resumes: job.resumes,
    result: job.result ?? null,
  };
}

export type JobView = ReturnType<typeof jobView>;
