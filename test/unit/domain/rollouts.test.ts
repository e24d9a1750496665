import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { FlagRow, OrgRecord } from '../../../lambdas/domain/flags.js';
import { bucketOf, entryStep, inAtPercent, inAudience, previewOutcome } from '../../../lambdas/domain/rollouts.js';

/** The formula as the design states it, written out independently. */
const formula = (key: string, orgId: string) =>
  parseInt(createHash('sha256').update(`${key}:${orgId}`).digest('hex').slice(0, 8), 16) % 10000;

const org = (orgId: string, extra: Partial<OrgRecord> = {}): OrgRecord => ({
  orgId,
  provisionedAt: '2026-12-01T10:00:00.000Z',
  registryVersion: 'v1',
  provisionedBy: 'test',
  ...extra,
});

const row = (enabled: boolean, source: FlagRow['source']): FlagRow => ({
  orgId: 'acme',
  key: 'chat',
  enabled,
  version: 1,
  source,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  updatedBy: 'test',
});

describe('the bucket of an org for a flag', () => {
  it('is the first 4 bytes of SHA-256("<key>:<org_id>") mod 10,000, stable, and differs between flags', () => {
    const ids = Array.from({ length: 2000 }, (_, index) => `org-${index}`);
    for (const id of ids) expect(bucketOf('chat', id)).toBe(formula('chat', id));
    expect(bucketOf('chat', 'acme')).toBe(bucketOf('chat', 'acme'));
    const differs = ids.filter((id) => bucketOf('chat', id) !== bucketOf('composer', id));
    expect(differs.length).toBeGreaterThan(1900);
  });

  it('spreads orgs evenly enough that 10 % reaches about a tenth of them', () => {
    const ids = Array.from({ length: 10000 }, (_, index) => `tenant-${index}`);
    const share = ids.filter((id) => inAtPercent(bucketOf('chat', id), 10)).length / ids.length;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
  });

  it('puts an org in at p % in at every higher percentage, and at 100 % every org', () => {
    for (let bucket = 0; bucket < 10000; bucket += 37) {
      const first = Array.from({ length: 100 }, (_, index) => index + 1).find((percent) =>
        inAtPercent(bucket, percent),
      );
      expect(first).toBe(Math.floor(bucket / 100) + 1);
      for (let percent = first!; percent <= 100; percent++) expect(inAtPercent(bucket, percent)).toBe(true);
    }
    expect(inAtPercent(9999, 100)).toBe(true);
    expect(inAtPercent(100, 1)).toBe(false);
    expect(inAtPercent(99, 1)).toBe(true);
  });

  it('enters a rollout at the first step whose percentage takes it in, or none', () => {
    const steps = [{ percent: 10 }, { percent: 50 }, { percent: 90 }];
    expect(entryStep(steps, 0)).toBe(1);
    expect(entryStep(steps, 999)).toBe(1);
    expect(entryStep(steps, 1000)).toBe(2);
    expect(entryStep(steps, 8999)).toBe(3);
    expect(entryStep(steps, 9000)).toBeUndefined();
  });
});

describe('the audience', () => {
  it('combines every condition given with AND; an empty audience is every org', () => {
    const enterprise = org('acme', { attributes: { plan: 'enterprise', region: 'eu' } });
    expect(inAudience({}, enterprise)).toBe(true);
    expect(inAudience({ attributes: { plan: ['enterprise'] } }, enterprise)).toBe(true);
    expect(inAudience({ attributes: { plan: ['enterprise'], region: ['us'] } }, enterprise)).toBe(false);
    expect(inAudience({ attributes: { plan: ['pro'] } }, org('plain'))).toBe(false);
    expect(inAudience({ org_ids: ['acme', 'globex'] }, enterprise)).toBe(true);
    expect(inAudience({ org_ids: ['globex'] }, enterprise)).toBe(false);
    expect(inAudience({ org_ids: ['acme'], exclude_org_ids: ['acme'] }, enterprise)).toBe(false);
  });

  it('takes created_before as exclusive and created_after as inclusive, comparing instants', () => {
    const created = org('acme', { provisionedAt: '2026-12-01T10:00:00.000Z' });
    expect(inAudience({ created_before: '2026-12-01T10:00:00Z' }, created)).toBe(false);
    expect(inAudience({ created_before: '2026-12-01T11:00:00+01:00' }, created)).toBe(false);
    expect(inAudience({ created_before: '2026-12-01T10:00:00.001Z' }, created)).toBe(true);
    expect(inAudience({ created_after: '2026-12-01T10:00:00Z' }, created)).toBe(true);
    expect(inAudience({ created_after: '2026-12-01T10:00:00.001Z' }, created)).toBe(false);
  });
});

describe('what a rollout does to one org', () => {
  const on = { enabled: true, overrides: 'keep' as const };
  it('holds a person’s row whatever its value, unless the rollout includes overrides', () => {
    expect(previewOutcome(row(false, 'admin'), false, on)).toBe('held');
    expect(previewOutcome(row(true, 'admin'), false, on)).toBe('held');
    expect(previewOutcome(row(false, 'admin'), false, { ...on, overrides: 'include' })).toBe('will_change');
    expect(previewOutcome(row(true, 'admin'), false, { ...on, overrides: 'include' })).toBe('already');
  });

  it('changes a provisioned or synced row holding the other value; an org without a row counts by the registry default', () => {
    expect(previewOutcome(row(false, 'provisioned'), false, on)).toBe('will_change');
    expect(previewOutcome(row(true, 'synced'), false, on)).toBe('already');
    expect(previewOutcome(undefined, true, on)).toBe('already');
    expect(previewOutcome(undefined, false, on)).toBe('will_change');
  });
});
