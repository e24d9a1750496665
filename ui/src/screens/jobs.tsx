import './jobs.css';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiClient, type Job, type JobList, type JobOptions, type JobType } from '../api.js';
import { ErrorMessage, plural, Time } from '../components/common.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Pager, usePagedList } from '../components/paging.js';
import { flagsHref, jobHref, jobsHref } from '../router.js';

const PAGE_SIZE = 10;
/** A running job is asked for at least this often, whatever the app's poll interval. */
const RUNNING_POLL_SECONDS = 1;

const NEEDS_ADMIN = (
  <p class="message message-info">
    <strong>Jobs need an admin token.</strong> A service token can read flags, orgs and history, but not start or watch
    jobs.
  </p>
);

/** Starting a job: the job, or why not (with the running job's id when one of that type runs). */
function useStartJob(api: ApiClient) {
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState<JobType | null>(null);
  const start = useCallback(
    async (type: JobType, options: JobOptions[JobType]) => {
      setStarting(type);
      setError(null);
      try {
        const job = await api.startJob(type, options);
        window.location.hash = jobHref(job.job_id);
      } catch (caught) {
        setError(caught);
      } finally {
        setStarting(null);
      }
    },
    [api],
  );
  return { start, starting, error };
}

/** The job already running that a 409 `job_running` names. */
function runningJobOf(error: unknown): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'job_running') return undefined;
  const jobId = (error.body as { error?: { job_id?: unknown } } | null)?.error?.job_id;
  return typeof jobId === 'string' ? jobId : undefined;
}

function StartError({ error }: { error: unknown }) {
  if (!error) return null;
  const running = runningJobOf(error);
  return (
    <ErrorMessage error={error}>
      {running ? (
        <p>
          <a href={jobHref(running)}>Watch the running job</a>
        </p>
      ) : null}
    </ErrorMessage>
  );
}

/** Every job, newest first, and the forms that start one. */
export function JobsScreen({
  api,
  readOnly,
  pollSeconds,
}: {
  readonly api: ApiClient;
  readonly readOnly: boolean;
  readonly pollSeconds: number;
}) {
  useEffect(() => {
    document.title = 'Jobs · Feature flags';
  }, []);
  if (readOnly) {
    return (
      <>
        <h1 tabIndex={-1}>Jobs</h1>
        {NEEDS_ADMIN}
      </>
    );
  }
  return <JobList api={api} pollSeconds={pollSeconds} />;
}

function JobList({ api, pollSeconds }: { readonly api: ApiClient; readonly pollSeconds: number }) {
  const { start, starting, error } = useStartJob(api);
  const [force, setForce] = useState(false);
  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      api.listJobs({ limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }, signal),
    [api],
  );
  const list = usePagedList<JobList>(fetchPage, { pollSeconds });
  const jobs = list.page?.jobs ?? [];

  return (
    <>
      <h1 tabIndex={-1}>Jobs</h1>
      <section aria-labelledby="start-job" class="job-starts">
        <h2 id="start-job">Start a job</h2>
        <ul class="job-start-list">
          {JOB_TYPES.map((type) => {
            const entry = JOB_KINDS[type].start;
            if (!entry) return null;
            return (
              <li key={type}>
                <button
                  type="button"
                  class="button button-primary"
                  disabled={starting !== null}
                  onClick={() => void start(type, entry.options({ force }))}
                  aria-describedby={`start-${type}`}
                >
                  {starting === type ? 'Starting…' : entry.label}
                </button>
                <p id={`start-${type}`} class="hint">
                  {entry.explains}
                </p>
                {entry.force ? (
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={force}
                      onChange={(event) => setForce(event.currentTarget.checked)}
                    />{' '}
                    {entry.force}
                  </label>
                ) : null}
              </li>
            );
          })}
        </ul>
        <StartError error={error} />
      </section>

      {list.error ? <ErrorMessage error={list.error} /> : null}
      <section aria-labelledby="job-list" aria-busy={list.loading}>
        <h2 id="job-list" ref={list.resultsRef} tabIndex={-1}>
          Jobs, newest first{list.pageNumber > 1 ? `, page ${list.pageNumber}` : ''}
        </h2>
        {jobs.length > 0 ? (
          <table class="orgs-table jobs-table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.job_id} data-job={job.job_id}>
                  <th scope="row" data-label="Job">
                    <a href={jobHref(job.job_id)}>{jobTitle(job)}</a>
                  </th>
                  <td data-label="Status">
                    <Status job={job} />
                  </td>
                  <td data-label="Progress">{job.progress.percent}%</td>
                  <td data-label="Started">
                    <Time value={job.created_at} /> by {job.created_by}
                  </td>
                  <td data-label="Finished">{job.finished_at ? <Time value={job.finished_at} /> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : list.page && !list.loading ? (
          <p>No job has run yet.</p>
        ) : list.loading ? (
          <p class="loading">Loading…</p>
        ) : null}
        <Pager label="Pages of jobs" list={list} />
      </section>
    </>
  );
}

/** "Registry sync (dry run)", "Report"... */
export function jobTitle(job: Job): string {
  const notes = [job.options.dry_run ? 'dry run' : null, job.options.force ? 'every org' : null].filter(Boolean);
  return `${JOB_KINDS[job.type].name}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

function Status({ job }: { job: Job }) {
  return <span class={`job-status job-status-${job.status}`}>{job.status}</span>;
}

/** One job: its progress while it runs, its counts and first errors, and once finished its result; apply a dry run, resume a failed run. */
export function JobScreen({
  api,
  jobId,
  readOnly,
  pollSeconds,
}: {
  readonly api: ApiClient;
  readonly jobId: string;
  readonly readOnly: boolean;
  readonly pollSeconds: number;
}) {
  useEffect(() => {
    document.title = `Job ${jobId} · Feature flags`;
  }, [jobId]);
  if (readOnly) {
    return (
      <>
        <p class="breadcrumb">
          <a href={jobsHref()}>Jobs</a>
        </p>
        <h1 tabIndex={-1}>Job</h1>
        {NEEDS_ADMIN}
      </>
    );
  }
  return <JobView api={api} jobId={jobId} pollSeconds={pollSeconds} />;
}

function JobView({
  api,
  jobId,
  pollSeconds,
}: {
  readonly api: ApiClient;
  readonly jobId: string;
  readonly pollSeconds: number;
}) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [resumeError, setResumeError] = useState<unknown>(null);
  const [resuming, setResuming] = useState(false);
  const { start, starting, error: startError } = useStartJob(api);
  const [reloads, setReloads] = useState(0);
  const running = job?.status === 'running';
  const jobRef = useRef(job);
  jobRef.current = job;

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const load = async () => {
      try {
        const fresh = await api.getJob(jobId, controller.signal);
        setJob(fresh);
        setError(null);
        if (fresh.status === 'running')
          timer = window.setTimeout(() => void load(), Math.min(pollSeconds, RUNNING_POLL_SECONDS) * 1000);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(caught);
        // A job that does not exist is not asked for again; anything else is, as a poll would.
        if (!(caught instanceof ApiError && caught.status === 404) && jobRef.current?.status === 'running')
          timer = window.setTimeout(() => void load(), pollSeconds * 1000);
      }
    };
    void load();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [api, jobId, pollSeconds, reloads]);

  const resume = async () => {
    setResuming(true);
    setResumeError(null);
    try {
      setJob(await api.resumeJob(jobId));
      setReloads((n) => n + 1);
    } catch (caught) {
      setResumeError(caught);
    } finally {
      setResuming(false);
    }
  };

  const heading = job ? jobTitle(job) : 'Job';
  const apply = job ? JOB_KINDS[job.type].apply : null;
  return (
    <>
      <div class="screen-heading">
        <p class="breadcrumb">
          <a href={jobsHref()}>Jobs</a>
        </p>
        <h1 tabIndex={-1}>{heading}</h1>
        <p class="hint">
          <code>{jobId}</code>
        </p>
      </div>
      {error ? <ErrorMessage error={error} /> : null}
      {job ? (
        <>
          <JobProgress job={job} />
          <dl class="org-facts job-facts">
            <Fact label="Status">
              <Status job={job} />
            </Fact>
            <Fact label="Started">
              <Time value={job.created_at} /> by {job.created_by}
            </Fact>
            <Fact label="Finished">
              {job.finished_at ? <Time value={job.finished_at} /> : running ? 'still running' : '—'}
            </Fact>
            <Fact label="Registry">
              <code title={job.registry_version}>{job.registry_version.slice(0, 12)}</code>
            </Fact>
            {job.resumes > 0 ? (
              <Fact label="Resumed">{job.resumes === 1 ? 'once' : `${job.resumes} times`}</Fact>
            ) : null}
          </dl>
          <Counts job={job} />
          {job.failure ? (
            <div class="message message-error" role="alert">
              <p>
                <strong>The job stopped:</strong> {job.failure}
              </p>
              <p>It keeps its checkpoint: resuming carries on from the last page it finished.</p>
              <button type="button" class="button button-primary" disabled={resuming} onClick={() => void resume()}>
                {resuming ? 'Resuming…' : 'Resume'}
              </button>
            </div>
          ) : null}
          {resumeError ? <ErrorMessage error={resumeError} /> : null}
          {job.errors.length > 0 ? (
            <section aria-labelledby="job-errors">
              <h2 id="job-errors">First errors</h2>
              <ul class="job-errors">
                {job.errors.map((entry, i) => (
                  <li key={i}>
                    <Time value={entry.at} /> {entry.org_id ? <strong>{entry.org_id}: </strong> : null}
                    {entry.message}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <Result job={job} />
          <Apply job={job} starting={starting !== null} onApply={() => setConfirming(true)} />
          <StartError error={startError} />
          {confirming && apply ? (
            <ConfirmDialog
              title={apply.title}
              confirmLabel={apply.confirm}
              onCancel={() => setConfirming(false)}
              onConfirm={() => {
                setConfirming(false);
                void start(job.type, apply.options(job));
              }}
            >
              <p>{apply.explains(job)}</p>
            </ConfirmDialog>
          ) : null}
        </>
      ) : !error ? (
        <p class="loading">Loading…</p>
      ) : null}
    </>
  );
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The progress bar, with what it means in words. */
function JobProgress({ job }: { job: Job }) {
  const { orgs_done: done, orgs_total: total, percent, pages_done: pages } = job.progress;
  return (
    <div class="job-progress">
      <label for="job-progress-bar">Progress</label>
      <progress id="job-progress-bar" max={100} value={percent} aria-valuetext={`${percent}%`} />
      <p class="hint" aria-live="polite">
        {percent}%: {done.toLocaleString('en-US')}{' '}
        {total === null ? 'orgs' : `of ${total.toLocaleString('en-US')} orgs`},{' '}
        {pages === 1 ? '1 page' : `${pages} pages`}
        {job.status === 'running' ? '…' : '.'}
      </p>
    </div>
  );
}

const COUNT_LABELS: Record<keyof Job['counts'], string> = {
  orgs_seen: 'Orgs seen',
  orgs_changed: 'Orgs changed',
  orgs_skipped: 'Orgs skipped',
  orgs_failed: 'Orgs failed',
  rows_missing: 'Rows missing',
  rows_written: 'Rows written',
  orphan_rows: 'Orphan rows',
  rows_exported: 'Rows exported',
  rows_deleted: 'Rows deleted',
};

function Counts({ job }: { job: Job }) {
  return (
    <section aria-labelledby="job-counts">
      <h2 id="job-counts">Counts</h2>
      <dl class="org-facts job-counts">
        {JOB_KINDS[job.type].counts.map((name) => (
          <Fact key={name} label={COUNT_LABELS[name]}>
            <span data-count={name}>{job.counts[name].toLocaleString('en-US')}</span>
          </Fact>
        ))}
      </dl>
    </section>
  );
}

function Result({ job }: { job: Job }) {
  const result = job.result;
  if (!result) return null;
  // Each job type's entry renders the result of its own type.
  const render = JOB_KINDS[result.type].result as (job: Job, result: JobResult) => ComponentChildren;
  return (
    <section aria-labelledby="job-result">
      <h2 id="job-result">Result</h2>
      {render(job, result)}
    </section>
  );
}

/** A key → count table. */
export function KeyCounts({ counts, label }: { counts: Readonly<Record<string, number>>; label: string }) {
  const entries = Object.entries(counts);
  if (entries.length === 0) return null;
  return (
    <table class="orgs-table key-counts" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Rows</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([key, count]) => (
          <tr key={key}>
            <th scope="row" data-label="Key">
              <code>{key}</code>
            </th>
            <td data-label="Rows">{count.toLocaleString('en-US')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Something to apply: a succeeded dry run of a job that writes, which found something to do. */
function applicable(job: Job): boolean {
  const apply = JOB_KINDS[job.type].apply;
  return job.status === 'succeeded' && job.options.dry_run === true && apply !== null && apply.found(job) > 0;
}

function Apply({ job, starting, onApply }: { job: Job; starting: boolean; onApply: () => void }) {
  const apply = JOB_KINDS[job.type].apply;
  if (!apply || !applicable(job)) return null;
  return (
    <section aria-labelledby="job-apply">
      <h2 id="job-apply">Apply</h2>
      <p>{apply.summary(job)}</p>
      <button type="button" class="button button-primary" disabled={starting} onClick={onApply}>
        {apply.confirm}…
      </button>
    </section>
  );
}

type JobResult = NonNullable<Job['result']>;
type JobResultOf<T extends JobType> = Extract<JobResult, { type: T }>;

/** How the Jobs screens show one job type. */
interface JobKind<T extends JobType> {
  /** Its name in titles and lists. */
  readonly name: string;
  /**
   * Its button on the Jobs screen: what it starts (sync and cleanup start as dry runs) and what that
   * does; null for a type started by what it serves (a rollout's preview, from the rollout).
   */
  readonly start: {
    readonly label: string;
    readonly explains: string;
    /** The label of a checkbox for `force`, for a type that takes it. */
    readonly force?: string;
    readonly options: (form: { readonly force: boolean }) => JobOptions[T];
  } | null;
  /** The counts that mean something for it. */
  readonly counts: readonly (keyof Job['counts'])[];
  readonly result: (job: Job, result: JobResultOf<T>) => ComponentChildren;
  /** Applying a succeeded dry run; null for a type that changes nothing. */
  readonly apply: {
    /** How much the dry run found to do; there is nothing to apply when it is 0. */
    readonly found: (job: Job) => number;
    readonly summary: (job: Job) => string;
    readonly title: string;
    readonly confirm: string;
    readonly explains: (job: Job) => string;
    readonly options: (job: Job) => JobOptions[T];
  } | null;
}

/** Every job type's screens, in the order the Jobs screen offers them (a type without its entry fails the type check). */
const JOB_KINDS: { readonly [T in JobType]: JobKind<T> } = {
  sync: {
    name: 'Registry sync',
    start: {
      label: 'Sync: dry run',
      explains:
        'Counts the rows each org lacks for the registry in force. Writes nothing; apply it from the finished dry run.',
      force: 'Every org, also those at this registry version',
      options: ({ force }) => ({ dry_run: true, force }),
    },
    counts: ['orgs_seen', 'orgs_changed', 'orgs_skipped', 'orgs_failed', 'rows_missing', 'rows_written'],
    result: (job, result) => (
      <p>
        {job.options.dry_run
          ? `Missing: ${plural(job.counts.rows_missing, 'row')} in ${plural(job.counts.orgs_changed, 'org')}; nothing was written.`
          : `Every org now has a row for every flag of registry ${result.registry_version.slice(0, 12)}.`}
      </p>
    ),
    apply: {
      found: (job) => job.counts.rows_missing,
      summary: (job) => `Write the missing rows: ${plural(job.counts.rows_missing, 'row')}.`,
      title: 'Write the missing rows?',
      confirm: 'Run the sync',
      explains: (job) =>
        `The dry run found ${plural(job.counts.rows_missing, 'missing row')}. The sync writes each org's missing rows with the registry default, and never overwrites a row that exists. It runs over every org again, so the numbers may have changed since.`,
      options: (job) => ({ dry_run: false, force: job.options.force ?? false }),
    },
  },
  'orphan-cleanup': {
    name: 'Orphan cleanup',
    start: {
      label: 'Orphan cleanup: dry run',
      explains:
        'Counts the rows of keys the registry no longer has. Deletes nothing; apply it (export, then delete) from the finished dry run.',
      options: () => ({ dry_run: true }),
    },
    counts: ['orgs_seen', 'orgs_failed', 'orphan_rows', 'rows_exported', 'rows_deleted'],
    result: (_job, result) => (
      <>
        <p>
          {Object.keys(result.orphans_by_key).length === 0
            ? 'No orphan rows.'
            : result.dry_run
              ? 'Orphan rows by key (nothing was deleted):'
              : 'Orphan rows by key, exported and deleted:'}
        </p>
        <KeyCounts counts={result.orphans_by_key} label="Orphan rows by key" />
        {result.export_location ? (
          <p>
            Exported to <code>{result.export_location}</code>
          </p>
        ) : null}
      </>
    ),
    apply: {
      found: (job) => job.counts.orphan_rows,
      summary: (job) => `Export, then delete, the orphan rows: ${plural(job.counts.orphan_rows, 'row')}.`,
      title: 'Export and delete the orphan rows?',
      confirm: 'Run the cleanup',
      explains: (job) =>
        `The dry run found ${plural(job.counts.orphan_rows, 'orphan row')}. The cleanup exports them first, then deletes them; the export restores them. It runs over every org again, so the numbers may have changed since.`,
      options: () => ({ dry_run: false }),
    },
  },
  report: {
    name: 'Report',
    start: {
      label: 'Report',
      explains:
        'Which flags are past their cleanup date, on or off everywhere, or held back by a few orgs; and the orphans. Changes nothing.',
      options: () => ({}),
    },
    counts: ['orgs_seen', 'orgs_failed', 'orphan_rows'],
    result: (_job, { report }) => (
      <>
        <p>
          {report.past_due.length} past due, {report.ready_to_remove.length} ready to remove,{' '}
          {report.off_everywhere.length} off everywhere, {report.held_back.length} held back,{' '}
          {Object.keys(report.orphans_by_key).length} orphan keys, over {report.orgs.toLocaleString('en-US')} orgs.
        </p>
        <p>
          <a href={flagsHref()}>See the findings beside each flag</a>
        </p>
      </>
    ),
    apply: null,
  },
  'rollout-preview': {
    name: 'Rollout preview',
    start: null,
    counts: ['orgs_seen', 'orgs_changed', 'orgs_skipped', 'orgs_failed'],
    result: (_job, { rollout_id, tally }) => (
      <p>
        Rollout <code>{rollout_id}</code>: {plural(tally.audience, 'org')} in the audience;{' '}
        {tally.steps.map((step, index) => `step ${index + 1}: ${step.will_change} will change`).join(', ')}.
      </p>
    ),
    apply: null,
  },
};

/** The job types, in {@link JOB_KINDS}' order (which has every type). */
const JOB_TYPES = Object.keys(JOB_KINDS) as JobType[];
