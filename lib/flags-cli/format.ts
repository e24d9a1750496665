import type { JobResultOf, JobType, JobView } from '../../lambdas/domain/jobs.js';
import type { StaleReport } from '../../lambdas/domain/report.js';

const number = new Intl.NumberFormat('en-US');

/** One line of progress: orgs done of the total, share, rate and what was written so far. */
export function progressLine(job: JobView, orgsPerSecond: number): string {
  const { orgs_total: total, orgs_done: done } = job.progress;
  const share = total ? ` (${job.progress.percent}%)` : '';
  return `${job.type} ${job.job_id}: ${number.format(done)}/${total === null ? '?' : number.format(total)} orgs${share}, ${number.format(Math.round(orgsPerSecond))} orgs/s${countsText(job)}`;
}

function countsText(job: JobView): string {
  const shown = Object.entries(job.counts).filter(([name, value]) => value > 0 && name !== 'orgs_seen');
  return shown.length === 0
    ? ''
    : `; ${shown.map(([name, value]) => `${name.replace(/_/g, ' ')} ${number.format(value)}`).join(', ')}`;
}

/** What a finished job did, for people. */
export function formatJobSummary(job: JobView): string[] {
  const seconds = job.finished_at ? (Date.parse(job.finished_at) - Date.parse(job.created_at)) / 1000 : undefined;
  const lines = [
    `${job.type} job ${job.job_id} ${job.status}${seconds === undefined ? '' : ` in ${seconds.toFixed(1)} s`}: ${number.format(job.progress.orgs_done)} orgs${countsText(job)}.`,
  ];
  if (job.failure) lines.push(`  ${job.failure}`);
  for (const error of job.errors)
    lines.push(`  error${error.org_id ? ` (org ${error.org_id})` : ''}: ${error.message}`);
  if (job.result) lines.push(...resultLines(job.result));
  return lines;
}

/** What each job type's result adds to its summary (a type without its entry fails the type check). */
const RESULT_LINES: { readonly [T in JobType]: (result: JobResultOf<T>) => string[] } = {
  sync: () => [],
  'orphan-cleanup': (result) => {
    const keys = Object.entries(result.orphans_by_key);
    return [
      keys.length === 0
        ? '  No orphan rows.'
        : `  Orphan rows by key: ${keys.map(([key, count]) => `${key} ${number.format(count)}`).join(', ')}.`,
      ...(result.dry_run && keys.length > 0
        ? ['  Dry run: nothing was deleted. Run again with --apply to export and delete them.']
        : []),
      ...(result.export_location
        ? [`  Deleted rows were exported to ${result.export_location} (restore with --import).`]
        : []),
    ];
  },
  // flags:report prints the report itself (formatReport).
  report: () => [],
  'rollout-preview': (result) => [
    `  Rollout ${result.rollout_id}: ${number.format(result.tally.audience)} orgs in the audience.`,
    ...result.tally.steps.map(
      (step, index) =>
        `  Step ${index + 1}: ${number.format(step.will_change)} will change, ${number.format(step.already)} already, ${number.format(step.held_by_override)} held by an override.`,
    ),
  ],
};

function resultLines<T extends JobType>(result: JobResultOf<T>): string[] {
  return RESULT_LINES[result.type](result);
}

/** The stale-flag report, for people. */
export function formatReport(report: StaleReport): string[] {
  const list = (keys: readonly string[]) => (keys.length === 0 ? 'none' : keys.join(', '));
  const lines = [
    `Stale-flag report, ${report.generated_at.slice(0, 10)}, registry ${report.registry_version}${report.includes_orgs ? `, ${number.format(report.orgs)} orgs` : ' (registry only)'}`,
    `  Past cleanup_after:                   ${list(report.past_due)}`,
  ];
  if (report.includes_orgs) {
    lines.push(
      `  On for every org for ${report.stale_days}+ days (remove or make permanent): ${list(report.ready_to_remove)}`,
      `  Off for every org:                    ${list(report.off_everywhere)}`,
      '',
      '  flag                              on        off   at default  latest on             findings',
    );
    for (const flag of report.flags) {
      lines.push(
        `  ${flag.key.padEnd(30)} ${number.format(flag.orgs_on).padStart(6)} ${number.format(flag.orgs_off).padStart(10)} ${number.format(flag.orgs_at_default).padStart(12)}  ${(flag.latest_enabled_at?.slice(0, 19) ?? '-').padEnd(20)}  ${flag.findings.join(', ') || (flag.permanent ? 'permanent' : '-')}`,
      );
      if (flag.held_back_by) {
        const { value, orgs_count, org_ids } = flag.held_back_by;
        const more = orgs_count > org_ids.length ? ` and ${number.format(orgs_count - org_ids.length)} more` : '';
        lines.push(
          `      held back by ${number.format(orgs_count)} org(s) ${value ? 'on' : 'off'}: ${org_ids.join(', ')}${more}`,
        );
      }
    }
    const orphans = Object.entries(report.orphans_by_key);
    lines.push(
      '',
      `  Orphan rows by key: ${orphans.length === 0 ? 'none' : orphans.map(([key, count]) => `${key} ${number.format(count)}`).join(', ')}`,
    );
  } else {
    for (const key of report.past_due) {
      const flag = report.flags.find((f) => f.key === key);
      lines.push(`    ${key}: cleanup_after ${flag?.cleanup_after}, owner ${flag?.owner}`);
    }
  }
  return lines;
}
