import './flags.css';
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient, FlagRegistry, Job } from '../api.js';
import { ErrorMessage, Time } from '../components/common.js';
import { flagHref, jobHref } from '../router.js';
import { KeyCounts } from './jobs.js';

interface Props {
  readonly api: ApiClient;
  readonly readOnly: boolean;
}

type Report = Extract<NonNullable<Job['result']>, { type: 'report' }>['report'];
type FlagReport = Report['flags'][number];

/** The newest report is looked for among this many jobs, newest first. */
const JOBS_SEARCHED = 100;

const FINDINGS: Record<FlagReport['findings'][number], string> = {
  past_cleanup_date: 'past its cleanup date',
  on_everywhere_long_ago: 'on everywhere for long: ready to remove',
  off_everywhere: 'off everywhere',
};

const STATES: Record<FlagReport['state'], string> = {
  on_everywhere: 'on in every org',
  off_everywhere: 'off in every org',
  mixed: 'mixed',
  no_orgs: 'no orgs',
};

/**
 * The registry: every flag with its owner, description and dates, and beside each one what the
 * newest report found. Reports are jobs, which only an admin may see and start.
 */
export function FlagsScreen({ api, readOnly }: Props) {
  const [registry, setRegistry] = useState<FlagRegistry | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<{ job: Job; report: Report } | null | undefined>(undefined);
  const [reportError, setReportError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);

  useEffect(() => {
    document.title = 'Flags · Feature flags';
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    api.listFlags(controller.signal).then(setRegistry, (caught: unknown) => {
      if (!controller.signal.aborted) setError(caught);
    });
    if (!readOnly) {
      newestReport(api, controller.signal).then(setReport, (caught: unknown) => {
        if (!controller.signal.aborted) setReportError(caught);
      });
    }
    return () => controller.abort();
  }, [api, readOnly]);

  const runReport = async () => {
    setStarting(true);
    setReportError(null);
    try {
      const job = await api.startJob('report', {});
      window.location.hash = jobHref(job.job_id);
    } catch (caught) {
      setReportError(caught);
      setStarting(false);
    }
  };

  const byKey = new Map((report?.report.flags ?? []).map((entry) => [entry.key, entry]));
  return (
    <>
      <h1 tabIndex={-1}>Flags</h1>
      <section aria-labelledby="report-heading" class="report-summary">
        <h2 id="report-heading">Report</h2>
        {readOnly ? (
          <p class="message message-info">
            <strong>Reports need an admin token.</strong> A service token sees the registry; the findings of the reports
            are for admins.
          </p>
        ) : report === undefined && !reportError ? (
          <p class="loading">Looking for the newest report…</p>
        ) : report ? (
          <p>
            Findings of the report of <Time value={report.report.generated_at} /> over{' '}
            {report.report.orgs.toLocaleString('en-US')} orgs (<a href={jobHref(report.job.job_id)}>its job</a>):{' '}
            {report.report.past_due.length} past due, {report.report.ready_to_remove.length} ready to remove,{' '}
            {report.report.off_everywhere.length} off everywhere, {report.report.held_back.length} held back.
          </p>
        ) : report === null ? (
          <p>No report has been run yet.</p>
        ) : null}
        {reportError ? <ErrorMessage error={reportError} /> : null}
        {!readOnly ? (
          <button type="button" class="button" disabled={starting} onClick={() => void runReport()}>
            {starting ? 'Starting…' : report ? 'Run a new report' : 'Run a report'}
          </button>
        ) : null}
      </section>

      {error ? <ErrorMessage error={error} /> : null}
      <section aria-labelledby="registry-heading" aria-busy={!registry && !error}>
        <h2 id="registry-heading">Registry{registry ? `: ${registry.flags.length} flags` : ''}</h2>
        {registry ? (
          <table class="orgs-table flags-table">
            <thead>
              <tr>
                <th scope="col">Flag</th>
                <th scope="col">Owner</th>
                <th scope="col">Default</th>
                <th scope="col">Created</th>
                <th scope="col">Clean up after</th>
                <th scope="col">Findings</th>
              </tr>
            </thead>
            <tbody>
              {registry.flags.map((flag) => {
                const found = byKey.get(flag.key);
                return (
                  <tr key={flag.key} data-flag={flag.key}>
                    <th scope="row" data-label="Flag">
                      <a href={flagHref(flag.key)}>{flag.key}</a>
                      {flag.internal_only ? <span class="marker marker-internal">internal</span> : null}
                      <span class="flags-description">{flag.description}</span>
                    </th>
                    <td data-label="Owner">{flag.owner}</td>
                    <td data-label="Default">{flag.default_enabled ? 'on' : 'off'}</td>
                    <td data-label="Created">{flag.created}</td>
                    <td data-label="Clean up after">{flag.permanent ? 'permanent' : (flag.cleanup_after ?? '—')}</td>
                    <td data-label="Findings" class="findings">
                      {found ? <Findings found={found} /> : report ? 'not in the report' : '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : !error ? (
          <p class="loading">Loading…</p>
        ) : null}
      </section>

      {report && Object.keys(report.report.orphans_by_key).length > 0 ? (
        <section aria-labelledby="orphans-heading">
          <h2 id="orphans-heading">Orphans</h2>
          <p>
            Rows of keys the registry no longer has, as the report counted them. An orphan cleanup (Jobs) exports and
            deletes them.
          </p>
          <KeyCounts counts={report.report.orphans_by_key} label="Orphan rows by key" />
        </section>
      ) : null}

      {registry?.retired && registry.retired.length > 0 ? (
        <section aria-labelledby="retired-heading">
          <h2 id="retired-heading">Retired keys</h2>
          <p>Never to be used again.</p>
          <ul class="retired">
            {registry.retired.map((retired) => (
              <li key={retired.key}>
                <code>{retired.key}</code>, retired {retired.retired}: {retired.reason}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

function Findings({ found }: { found: FlagReport }) {
  return (
    <>
      <span class="flags-state">
        {STATES[found.state]}
        {found.state === 'mixed'
          ? ` (on in ${found.orgs_on.toLocaleString('en-US')}, off in ${found.orgs_off.toLocaleString('en-US')})`
          : ''}
      </span>
      {found.findings.map((finding) => (
        <span key={finding} class={`marker finding finding-${finding}`}>
          {FINDINGS[finding]}
        </span>
      ))}
      {found.held_back_by ? (
        <span class="marker finding finding-held-back">
          held back:{' '}
          {found.held_back_by.orgs_count === 1
            ? '1 org has'
            : `${found.held_back_by.orgs_count.toLocaleString('en-US')} orgs have`}{' '}
          it {found.held_back_by.value ? 'on' : 'off'}
        </span>
      ) : null}
    </>
  );
}

/** The newest succeeded report among the newest jobs, or null when there is none. */
async function newestReport(api: ApiClient, signal: AbortSignal): Promise<{ job: Job; report: Report } | null> {
  let cursor: string | undefined;
  for (let seen = 0; seen < JOBS_SEARCHED;) {
    const page = await api.listJobs({ limit: 50, ...(cursor ? { cursor } : {}) }, signal);
    for (const job of page.jobs) {
      if (job.status === 'succeeded' && job.result?.type === 'report') return { job, report: job.result.report };
    }
    seen += page.jobs.length;
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return null;
}
