import { describe, expect, it } from '@jest/globals';
import type { FlagRow } from '../../../lambdas/domain/flags.js';
import { REPORT_ORG_SAMPLE, addOrgToReport, emptyReportState, finishReport } from '../../../lambdas/domain/report.js';
import { buildRegistry } from '../../../registry/index.js';

const flag = (key: string, extra: Record<string, unknown> = {}) => ({
  key,
  description: key,
  default_enabled: false,
  internal_only: false,
  owner: 'team',
  created: '2026-01-01',
  cleanup_after: '2027-01-01',
  ...extra,
});
const registry = buildRegistry(
  [
    flag('rollout'),
    flag('everywhere', { default_enabled: true }),
    flag('forever', { cleanup_after: undefined, permanent: true, default_enabled: true }),
    flag('old', { cleanup_after: '2026-10-01' }),
  ],
  [],
  '2026-11-23',
);
const now = new Date('2026-11-23T12:00:00.000Z');
const row = (orgId: string, key: string, enabled: boolean, enabledAt?: string): FlagRow => ({
  orgId,
  key,
  enabled,
  version: 1,
  source: 'admin',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  updatedBy: 'x',
  ...(enabledAt ? { enabledAt } : {}),
});

describe('the stale-flag report', () => {
  it('counts every org, names the orgs on the smaller side, and lists the stale flags', () => {
    const state = emptyReportState();
    for (let i = 0; i < 30; i++) {
      const orgId = `org-${String(i).padStart(2, '0')}`;
      addOrgToReport(state, registry, orgId, [
        row(orgId, 'rollout', i >= 3, '2026-11-20T00:00:00.000Z'),
        row(orgId, 'everywhere', true, '2026-09-01T00:00:00.000Z'),
        ...(i === 0 ? [row(orgId, 'gone', true)] : []),
      ]);
    }

    const report = finishReport(state, registry, { now, staleDays: 30, includesOrgs: true });

    expect(report).toMatchObject({
      orgs: 30,
      past_due: ['old'],
      ready_to_remove: ['everywhere'],
      off_everywhere: ['old'],
      held_back: ['rollout'],
      orphans_by_key: { gone: 1 },
    });
    expect(report.flags.find((f) => f.key === 'rollout')).toMatchObject({
      orgs_on: 27,
      orgs_off: 3,
      orgs_at_default: 0,
      state: 'mixed',
      held_back_by: { value: false, orgs_count: 3, org_ids: ['org-00', 'org-01', 'org-02'] },
    });
    // A permanent flag on everywhere (here by its default: no rows) is never "ready to remove".
    expect(report.flags.find((f) => f.key === 'forever')).toMatchObject({
      orgs_on: 30,
      orgs_at_default: 30,
      state: 'on_everywhere',
      permanent: true,
      findings: [],
    });
  });

  it('does not call a flag turned on recently stale, and names at most a sample of orgs while counting all', () => {
    const state = emptyReportState();
    for (let i = 0; i < 100; i++)
      addOrgToReport(state, registry, `o${i}`, [
        row(`o${i}`, 'rollout', i < 60, '2026-11-22T00:00:00.000Z'),
        row(`o${i}`, 'everywhere', true, i === 5 ? '2026-11-10T00:00:00.000Z' : '2026-01-01T00:00:00.000Z'),
      ]);
    const report = finishReport(state, registry, { now, staleDays: 30, includesOrgs: true });
    expect(report.ready_to_remove).toEqual([]);
    expect(report.flags.find((f) => f.key === 'everywhere')?.latest_enabled_at).toBe('2026-11-10T00:00:00.000Z');
    expect(report.flags.find((f) => f.key === 'rollout')?.held_back_by).toEqual({
      value: false,
      orgs_count: 40,
      org_ids: expect.any(Array),
    });
    expect(report.flags.find((f) => f.key === 'rollout')?.held_back_by?.org_ids).toHaveLength(REPORT_ORG_SAMPLE);
  });

  it('from the registry alone reports only past-due flags', () => {
    const report = finishReport(emptyReportState(), registry, { now, staleDays: 30, includesOrgs: false });
    expect(report).toMatchObject({
      includes_orgs: false,
      orgs: 0,
      past_due: ['old'],
      ready_to_remove: [],
      off_everywhere: [],
      held_back: [],
    });
  });
});
