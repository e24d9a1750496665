import { describe, expect, it } from '@jest/globals';
import { jobView, newJob, type Job, type JobResult } from '../../../lambdas/domain/jobs.js';
import { formatJobSummary } from '../../../lib/flags-cli/format.js';

const start = new Date('2026-11-23T10:15:00.000Z');

/** A finished job of the result's type, as `GET /jobs/{job_id}` shows it. */
function finished(result: JobResult, counts: Partial<Job['counts']> = {}) {
  const job = newJob(result.type, {}, { registryVersion: 'v1', actor: 'test', now: start });
  return jobView({
    ...job,
    status: 'succeeded',
    finishedAt: '2026-11-23T10:15:02.500Z',
    counts: { ...job.counts, orgs_seen: 3, ...counts },
    result,
  });
}

describe('formatJobSummary', () => {
  it("says what the job did, and adds what its type's result says", () => {
    const cleanup = finished(
      { type: 'orphan-cleanup', dry_run: true, orphans_by_key: { 'old-chat': 2 }, export_location: null },
      { orphan_rows: 2 },
    );
    expect(formatJobSummary(cleanup)).toEqual([
      `orphan-cleanup job ${cleanup.job_id} succeeded in 2.5 s: 3 orgs; orphan rows 2.`,
      '  Orphan rows by key: old-chat 2.',
      '  Dry run: nothing was deleted. Run again with --apply to export and delete them.',
    ]);

    const applied = finished(
      { type: 'orphan-cleanup', dry_run: false, orphans_by_key: {}, export_location: '/tmp/orphans.jsonl' },
      {},
    );
    expect(formatJobSummary(applied).slice(1)).toEqual([
      '  No orphan rows.',
      '  Deleted rows were exported to /tmp/orphans.jsonl (restore with --import).',
    ]);

    const sync = finished({ type: 'sync', registry_version: 'v1' }, { rows_written: 4 });
    expect(formatJobSummary(sync)).toEqual([`sync job ${sync.job_id} succeeded in 2.5 s: 3 orgs; rows written 4.`]);
  });
});
