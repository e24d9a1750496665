import { describe, expect, it } from '@jest/globals';
import { buildRegistry } from '../../../registry/index.js';
import { mergeOrgFlags, provisionedRows, type FlagRow } from '../../../lambdas/domain/flags.js';

const TODAY = '2026-12-01';

function flag(key: string, fields: { default_enabled?: boolean; internal_only?: boolean } = {}) {
  return {
    key,
    description: `The ${key} feature.`,
    default_enabled: fields.default_enabled ?? false,
    internal_only: fields.internal_only ?? false,
    owner: 'team-test',
    created: '2026-10-01',
    cleanup_after: '2027-06-30',
  };
}

/** Registry order deliberately not alphabetical, with a mix of defaults and an internal flag. */
const registry = buildRegistry(
  [
    flag('search', { default_enabled: true }),
    flag('audit-log', { internal_only: true }),
    flag('beta-reports'),
    flag('ops-console', { default_enabled: true, internal_only: true }),
  ],
  [{ key: 'old-search', retired: '2026-09-01', reason: 'Replaced by search.' }],
  TODAY,
);
const REGISTRY_KEYS = ['search', 'audit-log', 'beta-reports', 'ops-console'];

function row(key: string, enabled: boolean, fields: Partial<FlagRow> = {}): FlagRow {
  return {
    orgId: 'acme',
    key,
    enabled,
    version: 3,
    source: 'admin',
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-02T10:00:00.000Z',
    updatedBy: 'alice@example.com',
    ...fields,
  };
}

describe('mergeOrgFlags', () => {
  it('returns every registry flag exactly once, in registry order, when the org has no rows', () => {
    const { flags } = mergeOrgFlags(registry, [], { includeInternal: true });
    expect(flags.map((merged) => merged.key)).toEqual(REGISTRY_KEYS);
  });

  it('returns every registry flag exactly once, in registry order, whatever the order of the rows', () => {
    const rows = [row('ops-console', false), row('beta-reports', true), row('search', false)];
    const { flags } = mergeOrgFlags(registry, rows, { includeInternal: true });
    expect(flags.map((merged) => merged.key)).toEqual(REGISTRY_KEYS);
  });

  it('shows the registry default for a flag with no row', () => {
    const { flags } = mergeOrgFlags(registry, [row('beta-reports', true)], { includeInternal: true });
    const search = flags.find((merged) => merged.key === 'search');
    const auditLog = flags.find((merged) => merged.key === 'audit-log');
    expect(search).toEqual({
      key: 'search',
      description: 'The search feature.',
      feature_flag_value: 1,
      user_enabled: true,
      internal_only: false,
      from_registry: true,
      is_default: true,
      source: 'registry_default',
      version: 0,
      updated_at: null,
      updated_by: null,
      updated_by_email: null,
    });
    expect(auditLog).toMatchObject({
      user_enabled: false,
      feature_flag_value: 0,
      is_default: true,
      source: 'registry_default',
      version: 0,
    });
  });

  it("shows the row's value when a row exists, even where the registry default differs", () => {
    const rows = [
      row('search', false, { version: 7 }),
      row('beta-reports', true, { source: 'provisioned', version: 2 }),
    ];
    const { flags } = mergeOrgFlags(registry, rows, { includeInternal: true });
    expect(flags.find((merged) => merged.key === 'search')).toEqual({
      key: 'search',
      description: 'The search feature.',
      feature_flag_value: 0,
      user_enabled: false,
      internal_only: false,
      from_registry: true,
      is_default: false,
      source: 'admin',
      version: 7,
      updated_at: '2026-11-02T10:00:00.000Z',
      updated_by: 'alice@example.com',
      updated_by_email: null,
    });
    expect(flags.find((merged) => merged.key === 'beta-reports')).toMatchObject({
      user_enabled: true,
      feature_flag_value: 1,
      is_default: false,
      source: 'provisioned',
      version: 2,
    });
  });

  it('takes the description from the registry', () => {
    const { flags } = mergeOrgFlags(registry, [row('search', true)], { includeInternal: true });
    expect(flags[0]?.description).toBe('The search feature.');
  });

  it('takes internal_only from the registry, never from a row', () => {
    // Rows as a careless writer might have stored them, with an internal_only attribute of their own.
    const smuggled: FlagRow[] = [
      Object.assign(row('search', true), { internal_only: true }),
      Object.assign(row('audit-log', true), { internal_only: false }),
    ];
    const withInternal = mergeOrgFlags(registry, smuggled, { includeInternal: true }).flags;
    expect(withInternal.find((merged) => merged.key === 'search')?.internal_only).toBe(false);
    expect(withInternal.find((merged) => merged.key === 'audit-log')?.internal_only).toBe(true);
    expect(withInternal.find((merged) => merged.key === 'ops-console')?.internal_only).toBe(true);

    const withoutInternal = mergeOrgFlags(registry, smuggled, { includeInternal: false }).flags;
    expect(withoutInternal.map((merged) => merged.key)).not.toContain('audit-log');
  });

  it('hides internal flags, with or without rows, when includeInternal is false', () => {
    const rows = [row('audit-log', true), row('search', true)];
    const { flags, orphanKeys } = mergeOrgFlags(registry, rows, { includeInternal: false });
    expect(flags.map((merged) => merged.key)).toEqual(['search', 'beta-reports']);
    expect(flags.every((merged) => !merged.internal_only)).toBe(true);
    expect(orphanKeys).toEqual([]);
  });

  it('does not return rows whose key is not in the registry and reports them as orphans', () => {
    const rows = [row('search', true), row('legacy-thing', true), row('old-search', false)];
    const { flags, orphanKeys } = mergeOrgFlags(registry, rows, { includeInternal: true });
    expect(flags.map((merged) => merged.key)).toEqual(REGISTRY_KEYS);
    expect(orphanKeys.sort()).toEqual(['legacy-thing', 'old-search']);
  });

  it('reports no orphans when every row is a registry flag', () => {
    const rows = REGISTRY_KEYS.map((key) => row(key, true));
    expect(mergeOrgFlags(registry, rows, { includeInternal: true }).orphanKeys).toEqual([]);
  });

  it('gives feature_flag_value 1 exactly when user_enabled is true', () => {
    const rows = [row('search', false), row('audit-log', true)];
    const { flags } = mergeOrgFlags(registry, rows, { includeInternal: true });
    expect(flags.map((merged) => [merged.key, merged.user_enabled, merged.feature_flag_value])).toEqual([
      ['search', false, 0],
      ['audit-log', true, 1],
      ['beta-reports', false, 0],
      ['ops-console', true, 1],
    ]);
  });

  it('marks every item as coming from the registry', () => {
    const { flags } = mergeOrgFlags(registry, [row('search', true)], { includeInternal: true });
    expect(flags.every((merged) => merged.from_registry === true)).toBe(true);
  });
});

describe('provisionedRows', () => {
  const now = new Date('2026-12-01T08:30:00.000Z');
  const rows = provisionedRows(registry, 'acme', now, 'org-created-event');

  it('gives one row per registry flag, in registry order, internal flags included', () => {
    expect(rows.map((provisioned) => provisioned.key)).toEqual(REGISTRY_KEYS);
  });

  it("holds each flag's registry default", () => {
    expect(rows.map((provisioned) => [provisioned.key, provisioned.enabled])).toEqual([
      ['search', true],
      ['audit-log', false],
      ['beta-reports', false],
      ['ops-console', true],
    ]);
  });

  it('marks each row as provisioned for the org, at the given time, by the given actor', () => {
    for (const provisioned of rows) {
      expect(provisioned).toMatchObject({
        orgId: 'acme',
        source: 'provisioned',
        createdAt: '2026-12-01T08:30:00.000Z',
        updatedAt: '2026-12-01T08:30:00.000Z',
        updatedBy: 'org-created-event',
      });
      expect(Number.isInteger(provisioned.version)).toBe(true);
      expect(provisioned.version).toBeGreaterThan(0);
    }
  });

  it('sets enabledAt only on flags that are on by default', () => {
    const enabledAt = Object.fromEntries(rows.map((provisioned) => [provisioned.key, provisioned.enabledAt]));
    expect(enabledAt).toEqual({
      search: '2026-12-01T08:30:00.000Z',
      'audit-log': undefined,
      'beta-reports': undefined,
      'ops-console': '2026-12-01T08:30:00.000Z',
    });
    for (const provisioned of rows.filter((candidate) => !candidate.enabled))
      expect('enabledAt' in provisioned).toBe(false);
  });

  it('merges back to the registry defaults, as explicit (non-default) rows', () => {
    const { flags } = mergeOrgFlags(registry, rows, { includeInternal: true });
    expect(flags.map((merged) => [merged.key, merged.user_enabled, merged.is_default, merged.source])).toEqual([
      ['search', true, false, 'provisioned'],
      ['audit-log', false, false, 'provisioned'],
      ['beta-reports', false, false, 'provisioned'],
      ['ops-console', true, false, 'provisioned'],
    ]);
  });
});
