import pMap from 'p-map';
import type { Registry } from '../../registry/index.js';
import { BadRequestError, ConflictError, DependencyUnavailableError, NotFoundError } from '../domain/errors.js';
import { heldRegistryVersion, missingRows, orphanRows, type FlagRow, type OrgRecord } from '../domain/flags.js';
import type {
  ExportedRowReader,
  ExportSink,
  FleetStore,
  JobLauncher,
  JobStore,
  StoredItem,
} from '../domain/job-store.js';
import {
  MAX_JOB_ERRORS,
  addCounts,
  newJob,
  zeroCounts,
  type Job,
  type JobCounts,
  type JobError,
  type JobOptions,
  type JobResultOf,
  type JobType,
} from '../domain/jobs.js';
import { DEFAULT_STALE_DAYS, addOrgToReport, emptyReportState, finishReport } from '../domain/report.js';
import type { PreviewOrg, RolloutStore } from '../domain/rollout-store.js';
import {
  bucketOf,
  definitionHash,
  emptyPreviewTally,
  entryStep,
  inAudience,
  previewOutcome,
  tallyOrg,
} from '../domain/rollouts.js';

/** What the job use cases need. The launcher and export sink are only used by some of them. */
export interface JobDeps {
  readonly registry: Registry;
  readonly fleet: FleetStore;
  readonly jobs: JobStore;
  readonly launcher: JobLauncher;
  readonly exports: ExportSink;
  readonly rollouts: RolloutStore;
}

/** Orgs per page: one page is one engine step and one checkpoint. */
export const ORGS_PER_PAGE = 100;
/** Orgs worked on at once within a page. */
export const ORG_CONCURRENCY = 16;

const jobNotFound = (jobId: string) => new NotFoundError('job_not_found', `No job '${jobId}'.`);

/** What starting and resuming a job needs: no flag store, so the functions that only do that load none. */
export type JobControlDeps = Pick<JobDeps, 'registry' | 'jobs' | 'launcher'>;

/** How many of the newest jobs are looked at for one already running. */
export const RUNNING_LOOKBACK = 25;

/**
 * Starts a job over all orgs: stores it, lets `beforeLaunch` record it where it is needed (a
 * rollout names its preview's job), then starts the engine. A job of the same type (for the same
 * rollout) that is already running for the same registry is not started twice (409 `job_running`).
 */
export async function startJob(
  deps: JobControlDeps,
  type: JobType,
  options: JobOptions,
  context: { actor: string; now: Date; beforeLaunch?: (job: Job) => Promise<void> },
): Promise<Job> {
  const { jobs: recent } = await deps.jobs.list(RUNNING_LOOKBACK);
  const running = recent.find(
    (job) =>
      job.type === type &&
      job.status === 'running' &&
      job.registryVersion === deps.registry.version &&
      job.options.rollout_id === options.rollout_id,
  );
  if (running) {
    throw new ConflictError('job_running', `A ${type} job is already running: ${running.id}.`, { job_id: running.id });
  }
  const job = newJob(type, options, { registryVersion: deps.registry.version, actor: context.actor, now: context.now });
  await deps.jobs.create(job);
  try {
    await context.beforeLaunch?.(job);
  } catch (error) {
    const failure = `The job was not started: ${messageOf(error)}`;
    await deps.jobs.save({ ...job, status: 'failed', failure, updatedAt: context.now.toISOString() }, job);
    throw error;
  }
  await launch(deps, job, job.id, context.now);
  return job;
}

/** Starts the engine; if that fails, the job is marked failed (so it can be resumed) and the error rethrown. */
async function launch(deps: JobControlDeps, job: Job, runName: string, now: Date): Promise<void> {
  try {
    await deps.launcher.start(job.id, runName);
  } catch (error) {
    await deps.jobs.save(
      {
        ...job,
        status: 'failed',
        failure: `The job engine could not be started: ${messageOf(error)}`,
        updatedAt: now.toISOString(),
      },
      job,
    );
    throw error instanceof DependencyUnavailableError
      ? error
      : new DependencyUnavailableError('The job engine could not be started; retry shortly.', 5);
  }
}

export async function getJob(deps: Pick<JobDeps, 'jobs'>, jobId: string): Promise<Job> {
  const job = await deps.jobs.get(jobId);
  if (!job) throw jobNotFound(jobId);
  return job;
}

export function listJobs(deps: Pick<JobDeps, 'jobs'>, limit: number, after?: string) {
  return deps.jobs.list(limit, after);
}

/**
 * Runs a failed job again from its checkpoint. Only a job the engine gave up on part way can be
 * resumed; one that finished with failed orgs is done, and a new job picks those orgs up.
 */
export async function resumeJob(
  deps: JobControlDeps,
  jobId: string,
  context: { actor: string; now: Date },
): Promise<Job> {
  const job = await getJob(deps, jobId);
  const reachedEnd = job.pagesDone > 0 && job.cursor === undefined;
  if (job.status !== 'failed' || reachedEnd) {
    throw new ConflictError(
      'job_not_resumable',
      job.status === 'running'
        ? `Job ${jobId} is still running.`
        : `Job ${jobId} has ${job.status === 'succeeded' ? 'succeeded' : 'gone through every org'}; start a new ${job.type} job instead.`,
      { status: job.status },
    );
  }
  const resumed = await relaunch(deps, job, context.now);
  if (!resumed)
    throw new ConflictError('job_not_resumable', `Job ${jobId} changed while it was being resumed; look at it again.`);
  return resumed;
}

/**
 * Starts a new run of a job from its checkpoint, named `<job id>-r<n>`, once the job is marked
 * running again (on condition that it has not changed); undefined when it had changed.
 */
export async function relaunch(deps: JobControlDeps, job: Job, now: Date): Promise<Job | undefined> {
  const { failure: _failure, ...rest } = job;
  const next: Job = { ...rest, status: 'running', resumes: job.resumes + 1, updatedAt: now.toISOString() };
  if (!(await deps.jobs.save(next, job))) return undefined;
  await launch(deps, next, `${job.id}-r${next.resumes}`, now);
  return next;
}

/** Marks a running job failed, as the engine does when it gives up on a page. */
export async function failJob(deps: Pick<JobDeps, 'jobs'>, jobId: string, failure: string, now: Date): Promise<Job> {
  const job = await getJob(deps, jobId);
  if (job.status !== 'running') return job;
  const failed: Job = { ...job, status: 'failed', failure, updatedAt: now.toISOString() };
  return (await deps.jobs.save(failed, job)) ? failed : getJob(deps, jobId);
}

/** What one page of one org's work added up to. */
interface OrgOutcome {
  readonly counts: Partial<JobCounts>;
  readonly error?: JobError;
}

/** The result of one engine step: whether the job is over, and the job as it now stands. */
export interface PageResult {
  readonly done: boolean;
  readonly job: Job;
}

/**
 * One step of a job: the next page of orgs, worked on with bounded concurrency, then the
 * checkpoint (cursor, totals, first errors) written on condition that no other run got there
 * first. Every write a page makes is conditional, so a page run again after a crash writes
 * nothing twice. A dependency that is unavailable fails the page, for the engine to retry.
 */
export async function runJobPage(deps: JobDeps, jobId: string, now: Date): Promise<PageResult> {
  const job = await getJob(deps, jobId);
  if (job.status !== 'running') return { done: true, job };
  const orgsTotal = job.orgsTotal ?? (await deps.fleet.countOrgs());
  const page = await deps.fleet.listOrgs(ORGS_PER_PAGE, job.cursor);
  const pageNumber = job.pagesDone + 1;
  const work = await JOB_WORK[job.type].page(deps, job, page.orgs, pageNumber, now);

  const { cursor: _previous, ...rest } = job;
  const progressed: Job = {
    ...rest,
    orgsTotal,
    pagesDone: pageNumber,
    counts: addCounts(job.counts, work.counts),
    errors: [...job.errors, ...work.errors].slice(0, MAX_JOB_ERRORS),
    updatedAt: now.toISOString(),
    ...work.carry,
  };
  const next: Job = page.next
    ? { ...progressed, cursor: page.next }
    : { ...progressed, ...finished(deps, progressed, now) };

  if (await deps.jobs.save(next, job)) return { done: next.status !== 'running', job: next };
  const current = await getJob(deps, jobId);
  return { done: current.status !== 'running', job: current };
}

function finished(deps: JobDeps, job: Job, now: Date): Partial<Job> {
  const failedOrgs = job.counts.orgs_failed;
  return {
    status: failedOrgs > 0 ? 'failed' : 'succeeded',
    finishedAt: now.toISOString(),
    result: JOB_WORK[job.type].result(deps, job, now),
    // The report and the preview's counts are in the result now; the tallies they were built from need not be kept.
    reportState: undefined,
    previewTally: undefined,
    ...(failedOrgs > 0
      ? { failure: `${failedOrgs} org(s) failed; the first errors are listed. A new ${job.type} job retries them.` }
      : {}),
  };
}

/** What a page of a job type did: totals, errors, and state carried to the next page. */
interface PageWork {
  readonly counts: Partial<JobCounts>;
  readonly errors: JobError[];
  readonly carry?: Partial<Job>;
}

type PageWorker = (deps: JobDeps, job: Job, orgs: readonly OrgRecord[], page: number, now: Date) => Promise<PageWork>;

/** Runs `work` for each org with bounded concurrency; an org's failure is counted, an unavailable store fails the page. */
async function eachOrg<T extends object>(
  orgs: readonly OrgRecord[],
  now: Date,
  work: (org: OrgRecord) => Promise<T & OrgOutcome>,
): Promise<{ outcomes: (Partial<T> & OrgOutcome)[]; work: PageWork }> {
  const outcomes = await pMap(
    orgs,
    async (org): Promise<Partial<T> & OrgOutcome> => {
      try {
        return await work(org);
      } catch (error) {
        if (error instanceof DependencyUnavailableError) throw error;
        const failed: OrgOutcome = {
          counts: { orgs_failed: 1 },
          error: { org_id: org.orgId, message: messageOf(error), at: now.toISOString() },
        };
        return failed as Partial<T> & OrgOutcome;
      }
    },
    { concurrency: ORG_CONCURRENCY },
  );
  const counts = outcomes.reduce((sum, outcome) => addCounts(sum, { orgs_seen: 1, ...outcome.counts }), zeroCounts());
  return { outcomes, work: { counts, errors: outcomes.flatMap((outcome) => (outcome.error ? [outcome.error] : [])) } };
}

const syncPage: PageWorker = async (deps, job, orgs, _page, now) => {
  const { registry, fleet } = deps;
  const dryRun = job.options.dry_run === true;
  const { work } = await eachOrg(orgs, now, async (org) => {
    if (!job.options.force && heldRegistryVersion(org) === registry.version) return { counts: { orgs_skipped: 1 } };
    const { org: record, rows } = await fleet.getOrgSnapshot(org.orgId);
    if (!record) return { counts: { orgs_skipped: 1 } };
    const missing = missingRows(registry, rows, org.orgId, now, `job:${job.id}`);
    const changed = missing.length > 0 ? 1 : 0;
    if (dryRun) return { counts: { orgs_changed: changed, rows_missing: missing.length } };
    const written = missing.length > 0 ? await fleet.putRowsIfAbsent(missing) : 0;
    await fleet.markOrgSynced(org.orgId, registry.version, now.toISOString());
    return { counts: { orgs_changed: changed, rows_missing: missing.length, rows_written: written } };
  });
  return work;
};

/**
 * Orphan cleanup reads the page's orgs first, then (unless a dry run) exports every orphan row
 * it is about to delete, and only then deletes exactly those rows, each only if unchanged.
 */
const orphanPage: PageWorker = async (deps, job, orgs, page, now) => {
  const { registry, fleet } = deps;
  const dryRun = job.options.dry_run !== false;
  const found = await eachOrg(orgs, now, async (org) => {
    const snapshot = await fleet.getOrgSnapshot(org.orgId);
    const orphans = orphanRows(registry, snapshot.rows);
    const items = orphans
      .map((row) => snapshot.stored.get(row.key))
      .filter((item): item is StoredItem => item !== undefined);
    return { orphans, items, counts: { orgs_changed: orphans.length > 0 ? 1 : 0, orphan_rows: orphans.length } };
  });
  const byKey = { ...job.orphansByKey };
  for (const row of found.outcomes.flatMap((outcome) => outcome.orphans ?? []))
    byKey[row.key] = (byKey[row.key] ?? 0) + 1;
  const carry = { orphansByKey: byKey };
  const items = found.outcomes.flatMap((outcome) => outcome.items ?? []);
  if (dryRun || items.length === 0) return { ...found.work, carry };

  await deps.exports.write(job.id, page, items);
  const deletions = await pMap(
    found.outcomes.flatMap((outcome) => outcome.orphans ?? []),
    async (row) => {
      try {
        return { deleted: await fleet.deleteRowIfUnchanged(row.orgId, row.key, row.version) };
      } catch (error) {
        if (error instanceof DependencyUnavailableError) throw error;
        return {
          deleted: false,
          error: { org_id: row.orgId, message: `row ${row.key}: ${messageOf(error)}`, at: now.toISOString() },
        };
      }
    },
    { concurrency: ORG_CONCURRENCY },
  );
  const deleteErrors = deletions.flatMap((d) => (d.error ? [d.error] : []));
  return {
    counts: addCounts(found.work.counts as JobCounts, {
      rows_exported: items.length,
      rows_deleted: deletions.filter((d) => d.deleted).length,
      orgs_failed: new Set(deleteErrors.map((e) => e.org_id)).size,
    }),
    errors: [...found.work.errors, ...deleteErrors],
    carry,
  };
};

const reportPage: PageWorker = async (deps, job, orgs, _page, now) => {
  const read = await eachOrg(orgs, now, async (org) => ({
    org,
    rows: (await deps.fleet.getOrgSnapshot(org.orgId)).rows,
    counts: {},
  }));
  const state = structuredClone(job.reportState ?? emptyReportState());
  for (const outcome of read.outcomes) {
    if (outcome.org && outcome.rows) addOrgToReport(state, deps.registry, outcome.org.orgId, outcome.rows);
  }
  return { ...read.work, carry: { reportState: state } };
};

/**
 * A rollout's preview: for each org of the page in the audience, the step that reaches it and what
 * that step would do there, recorded per org and counted. The definition is read at each page and
 * must still be the one the preview was started for.
 */
const previewPage: PageWorker = async (deps, job, orgs, _page, now) => {
  const rolloutId = String(job.options.rollout_id);
  const rollout = await deps.rollouts.get(rolloutId);
  if (!rollout) throw new Error(`Rollout ${rolloutId} no longer exists.`);
  if (definitionHash(rollout.definition) !== job.options.definition_hash)
    throw new Error(`Rollout ${rolloutId} was changed during its preview; preview it again.`);
  const { definition } = rollout;
  const flag = deps.registry.byKey.get(definition.key);
  if (!flag) throw new Error(`Flag '${definition.key}' is not in the registry any more.`);
  const found = await eachOrg(orgs, now, async (org) => {
    if (!inAudience(definition.audience, org)) return { counts: { orgs_skipped: 1 } };
    const step = entryStep(definition.steps, bucketOf(definition.key, org.orgId));
    if (step === undefined) return { inAudience: true, counts: { orgs_skipped: 1 } };
    const { row } = await deps.fleet.getFlag(org.orgId, flag.key);
    const outcome = previewOutcome(row, flag.default_enabled, definition);
    const preview: PreviewOrg = {
      orgId: org.orgId,
      step,
      outcome,
      enabled: row?.enabled ?? flag.default_enabled,
      source: row?.source ?? 'registry_default',
      attributes: org.attributes ?? {},
    };
    return { inAudience: true, preview, counts: { orgs_changed: outcome === 'will_change' ? 1 : 0 } };
  });
  const previews = found.outcomes.flatMap((outcome) => (outcome.preview ? [outcome.preview] : []));
  await deps.rollouts.putPreviewOrgs(job.id, previews);
  const tally = structuredClone(job.previewTally ?? emptyPreviewTally(definition.steps.length));
  tally.audience += found.outcomes.filter((outcome) => outcome.inAudience).length;
  for (const preview of previews) tallyOrg(tally, preview.step, preview.outcome, preview.attributes);
  return { ...found.work, carry: { previewTally: tally } };
};

/** What each job type does: each page of orgs, and once the last page is done, its result. */
const JOB_WORK: {
  readonly [T in JobType]: {
    readonly page: PageWorker;
    readonly result: (deps: JobDeps, job: Job, now: Date) => JobResultOf<T>;
  };
} = {
  sync: {
    page: syncPage,
    result: (deps) => ({ type: 'sync', registry_version: deps.registry.version }),
  },
  'orphan-cleanup': {
    page: orphanPage,
    result: (deps, job) => ({
      type: 'orphan-cleanup',
      dry_run: job.options.dry_run !== false,
      orphans_by_key: job.orphansByKey ?? {},
      export_location: job.counts.rows_exported > 0 ? deps.exports.location(job.id) : null,
    }),
  },
  report: {
    page: reportPage,
    result: (deps, job, now) => ({
      type: 'report',
      report: finishReport(job.reportState ?? emptyReportState(), deps.registry, {
        now,
        staleDays: job.options.stale_days ?? DEFAULT_STALE_DAYS,
        includesOrgs: true,
      }),
    }),
  },
  'rollout-preview': {
    page: previewPage,
    result: (_deps, job) => ({
      type: 'rollout-preview',
      rollout_id: String(job.options.rollout_id),
      definition_hash: String(job.options.definition_hash),
      tally: job.previewTally ?? emptyPreviewTally(0),
    }),
  },
};

/** One line of an orphan export file. */
export interface ExportLine {
  /** Where the line is, for messages: `<file>:<line number>`. */
  readonly where: string;
  /** The name of the file it is in, recorded as the restored row's writer (`import:<file>`). */
  readonly file: string;
  readonly text: string;
}

/** How many problems an import refusal lists before it says how many more there are. */
const MAX_IMPORT_PROBLEMS = 20;

/**
 * Puts the rows of an orphan export back, each only where the org has no row of that key.
 * Every line is checked before anything is written, and one bad line refuses them all: each
 * must be a flag row exactly as the store writes one (`exported`), of a key that is not in the
 * registry (a registry flag is set through the API, with its history), and no row may appear
 * twice. A restored row keeps its org, key, value, source, `created_at` and `enabled_at`; it gets
 * a new version (the import's time in milliseconds, as any write's), `updated_at` the import's
 * time and `updated_by` `import:<file name>`, and no `updated_by_email`; its key and index
 * attributes are the store's own for its org and key.
 */
export async function importOrphanExport(
  deps: {
    readonly registry: Registry;
    readonly fleet: Pick<FleetStore, 'restoreRowIfAbsent'>;
    readonly exported: ExportedRowReader;
  },
  lines: readonly ExportLine[],
  context: { now: Date },
): Promise<{ restored: number; present: number }> {
  const problems: string[] = [];
  const rows: FlagRow[] = [];
  const seen = new Map<string, string>();
  for (const line of lines) {
    let item: unknown;
    try {
      item = JSON.parse(line.text);
    } catch {
      problems.push(`${line.where}: not JSON`);
      continue;
    }
    const read = deps.exported.read(item);
    if ('problem' in read) {
      problems.push(`${line.where}: not a flag row as exported: ${read.problem}`);
      continue;
    }
    const { row } = read;
    if (deps.registry.byKey.has(row.key)) {
      problems.push(
        `${line.where}: '${row.key}' is a flag of the registry; only rows of retired or unknown keys are restored (set a registry flag through the API)`,
      );
      continue;
    }
    const id = `${row.orgId}/${row.key}`;
    const earlier = seen.get(id);
    if (earlier) {
      problems.push(`${line.where}: the row of org '${row.orgId}' and key '${row.key}' is also at ${earlier}`);
      continue;
    }
    seen.set(id, line.where);
    const { updatedByEmail: _email, ...kept } = row;
    rows.push({
      ...kept,
      version: context.now.getTime(),
      updatedAt: context.now.toISOString(),
      updatedBy: `import:${line.file}`,
    });
  }
  if (problems.length > 0) {
    const more = problems.length > MAX_IMPORT_PROBLEMS ? [`and ${problems.length - MAX_IMPORT_PROBLEMS} more`] : [];
    throw new BadRequestError(
      'invalid_export',
      [
        `Nothing was imported: ${problems.length} line(s) cannot be restored.`,
        ...problems.slice(0, MAX_IMPORT_PROBLEMS),
        ...more,
      ].join('\n'),
    );
  }
  const restored = await pMap(rows, (row) => deps.fleet.restoreRowIfAbsent(row), { concurrency: ORG_CONCURRENCY });
  const count = restored.filter(Boolean).length;
  return { restored: count, present: rows.length - count };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
