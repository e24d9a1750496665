import { describe, expect, it } from '@jest/globals';
import { JOB_ID_PATTERN, addCounts, jobView, newJob, newJobId, zeroCounts } from '../../../lambdas/domain/jobs.js';

describe('jobs', () => {
  it('have ids that say when and what, sort by start time and fit Step Functions execution names', () => {
    const a = newJobId('orphan-cleanup', new Date('2026-11-23T10:15:00.123Z'));
    const b = newJobId('sync', new Date('2026-11-23T10:15:01.000Z'));
    expect(a).toMatch(/^20261123T101500123Z-orphan-cleanup-[0-9a-f]{6}$/);
    expect([b, a].sort()).toEqual([a, b]);
    expect(a).toMatch(JOB_ID_PATTERN);
    expect(a).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('have ids that sort by start time within one second, whatever their random part', () => {
    for (let i = 0; i < 50; i++) {
      const first = newJobId('sync', new Date('2026-11-23T10:15:00.100Z'));
      const second = newJobId('sync', new Date('2026-11-23T10:15:00.101Z'));
      expect([second, first].sort()).toEqual([first, second]);
    }
  });

  it('accept the ids made before they carried milliseconds', () => {
    expect('20261123T101500Z-sync-3f9a1c').toMatch(JOB_ID_PATTERN);
    expect('20261123T1015001Z-sync-3f9a1c').not.toMatch(JOB_ID_PATTERN);
  });

  it('show progress: unknown total at first, a share while running, 100 only once succeeded', () => {
    const job = newJob('sync', {}, { registryVersion: 'v', actor: 'me', now: new Date() });
    expect(jobView(job).progress).toEqual({ orgs_total: null, orgs_done: 0, pages_done: 0, percent: 0 });
    const running = { ...job, orgsTotal: 400, pagesDone: 1, counts: addCounts(zeroCounts(), { orgs_seen: 100 }) };
    expect(jobView(running).progress.percent).toBe(25);
    expect(jobView({ ...running, counts: addCounts(zeroCounts(), { orgs_seen: 450 }) }).progress.percent).toBe(99);
    expect(jobView({ ...running, status: 'succeeded' }).progress.percent).toBe(100);
  });
});
