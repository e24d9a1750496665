import { beforeEach, describe, expect, it } from '@jest/globals';
import { buildRegistry } from '../../../registry/index.js';
import type { Caller } from '../../../lambdas/domain/caller.js';
import { DependencyUnavailableError, NotFoundError, UnknownFlagError } from '../../../lambdas/domain/errors.js';
import type { FlagChange, FlagChangeOutcome } from '../../../lambdas/domain/flag-store.js';
import type { FlagRow } from '../../../lambdas/domain/flags.js';
import { bulkSetFlag, type Deps } from '../../../lambdas/use-cases/flags.js';
import { MAX_READS_PER_PAGE, flagAcrossOrgs, getOrgFlag } from '../../../lambdas/use-cases/views.js';
import { FakeFlagStore } from '../../support/fake-flag-store.js';
import { rejectionOf } from '../../support/rejection.js';

const registry = buildRegistry(
  [
    {
      key: 'chat',
      description: 'Chat.',
      default_enabled: false,
      internal_only: false,
      owner: 'team-b',
      created: '2026-11-01',
      cleanup_after: '2027-05-31',
    },
    {
      key: 'staff-tools',
      description: 'Staff tools.',
      default_enabled: false,
      internal_only: true,
      owner: 'team-a',
      created: '2026-10-01',
      permanent: true,
    },
  ],
  [],
  '2026-12-01',
);

const admin: Caller = { role: 'admin', id: 'sub-alice', email: 'alice@example.com' };
const acmeUser: Caller = { role: 'org', id: 'sub-bob', orgId: 'acme' };
const at = '2026-11-20T10:00:00.000Z';

function row(orgId: string, key: string, enabled: boolean, version = 1): FlagRow {
  return {
    orgId,
    key,
    enabled,
    version,
    source: 'provisioned',
    createdAt: at,
    updatedAt: at,
    updatedBy: 'org-created',
  };
}

let store: FakeFlagStore;
let deps: Deps;

beforeEach(() => {
  store = new FakeFlagStore();
  deps = { registry, store };
});

/** Follows `next` until the view ends; returns every page. */
async function allPages(query: { key: string; enabled?: boolean; limit: number }) {
  const pages = [];
  let after: string | undefined;
  do {
    const page = await flagAcrossOrgs(deps, admin, { ...query, ...(after ? { after } : {}) });
    pages.push(page);
    after = page.next;
  } while (after);
  return pages;
}

describe('flagAcrossOrgs', () => {
  it('lists every provisioned org once, in org id order, an org without a row at the registry default', async () => {
    for (const id of ['delta', 'alpha', 'charlie', 'bravo']) store.addOrg(id);
    store.addRow(row('alpha', 'chat', true));
    store.addRow(row('charlie', 'chat', false, 4));
    store.addRow(row('delta', 'chat', true));
    store.addRow(row('zombie', 'chat', true)); // rows of an org whose provisioning never finished

    const page = await flagAcrossOrgs(deps, admin, { key: 'chat', limit: 50 });
    expect(page.definition.key).toBe('chat');
    expect(page.next).toBeUndefined();
    expect(page.items.map((item) => [item.org_id, item.enabled, item.is_default])).toEqual([
      ['alpha', true, false],
      ['bravo', false, true],
      ['charlie', false, false],
      ['delta', true, false],
    ]);
    expect(page.items[1]).toMatchObject({ source: 'registry_default', version: 0, updated_at: null });
    expect(page.items[2]).toMatchObject({ source: 'provisioned', version: 4 });
  });

  it('pages with limit 2: every org exactly once, whatever mix of rows and missing rows', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `org-${String(i).padStart(2, '0')}`);
    for (const id of ids) store.addOrg(id);
    ids.forEach((id, i) => {
      if (i % 3 !== 0) store.addRow(row(id, 'chat', i % 2 === 0));
    });
    const pages = await allPages({ key: 'chat', limit: 2 });
    expect(pages.flatMap((page) => page.items.map((item) => item.org_id))).toEqual(ids);
    expect(pages.every((page) => page.items.length <= 2)).toBe(true);
  });

  it('filters on the value, counting an org without a row at its registry default', async () => {
    const ids = Array.from({ length: 9 }, (_, i) => `org-${i}`);
    for (const id of ids) store.addOrg(id);
    store.addRow(row('org-1', 'chat', true));
    store.addRow(row('org-4', 'chat', true));
    store.addRow(row('org-5', 'chat', false));
    const on = (await allPages({ key: 'chat', enabled: true, limit: 2 })).flatMap((page) =>
      page.items.map((item) => item.org_id),
    );
    const off = (await allPages({ key: 'chat', enabled: false, limit: 2 })).flatMap((page) =>
      page.items.map((item) => item.org_id),
    );
    expect(on).toEqual(['org-1', 'org-4']);
    expect(off).toEqual(['org-0', 'org-2', 'org-3', 'org-5', 'org-6', 'org-7', 'org-8']);
  });

  it('stops after a bounded number of reads when the filter leaves pages sparse, and goes on from there', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `org-${String(i).padStart(2, '0')}`);
    for (const id of ids) store.addOrg(id);
    store.addRow(row('org-39', 'chat', true));
    const first = await flagAcrossOrgs(deps, admin, { key: 'chat', enabled: true, limit: 2 });
    expect(first.items).toEqual([]);
    expect(first.next).toBe(`org-${String(MAX_READS_PER_PAGE * 2 - 1).padStart(2, '0')}`);
    const rest = await allPages({ key: 'chat', enabled: true, limit: 2 });
    expect(rest.flatMap((page) => page.items.map((item) => item.org_id))).toEqual(['org-39']);
  });

  it('refuses a key the registry does not hold, naming the valid keys', async () => {
    const error = await rejectionOf(flagAcrossOrgs(deps, admin, { key: 'no-such-flag', limit: 2 }));
    expect(error).toBeInstanceOf(UnknownFlagError);
    expect(store.calls).toEqual([]);
  });
});

describe('getOrgFlag', () => {
  it('answers an org token asking for an internal flag exactly as for a flag that does not exist', async () => {
    store.addOrg('acme');
    const internal = await rejectionOf(getOrgFlag(deps, acmeUser, 'acme', 'staff-tools'));
    const unknown = await rejectionOf(getOrgFlag(deps, acmeUser, 'acme', 'no-such-flag'));
    for (const error of [internal, unknown]) {
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).code).toBe('flag_not_found');
    }
    expect((unknown as NotFoundError).details).toBeUndefined();
  });

  it('is a 404 for an org that does not exist', async () => {
    const error = await rejectionOf(getOrgFlag(deps, admin, 'initech', 'chat'));
    expect((error as NotFoundError).code).toBe('org_not_found');
  });
});

describe('bulkSetFlag', () => {
  it('gives each org its own result under one request id; a failing org hides no other', async () => {
    for (const id of ['a', 'b', 'c', 'd']) store.addOrg(id);
    store.addRow(row('b', 'chat', true, 3));
    const applied: FlagChange[] = [];
    const original = store.applyChange.bind(store);
    store.applyChange = async (change: FlagChange): Promise<FlagChangeOutcome> => {
      applied.push(change);
      if (change.orgId === 'c')
        throw new DependencyUnavailableError('The flag store is throttling requests; retry shortly.');
      if (change.orgId === 'd') return { kind: 'version_conflict', current: undefined };
      return original(change);
    };

    const result = await bulkSetFlag(
      deps,
      admin,
      'chat',
      { org_ids: ['a', 'b', 'c', 'd', 'missing'], enabled: true },
      { requestId: 'req-bulk', now: new Date(at) },
    );

    expect(result.counts).toEqual({ changed: 1, unchanged: 1, org_not_found: 1, conflict: 1, error: 1 });
    expect(result.results.map((r) => [r.org_id, r.result])).toEqual([
      ['a', 'changed'],
      ['b', 'unchanged'],
      ['c', 'error'],
      ['d', 'conflict'],
      ['missing', 'org_not_found'],
    ]);
    expect(result.results[2]).toMatchObject({ error: { code: 'dependency_unavailable' } });
    expect(new Set(applied.map((change) => change.requestId))).toEqual(new Set(['req-bulk']));
    expect(applied.every((change) => change.actor === 'sub-alice' && change.actorEmail === 'alice@example.com')).toBe(
      true,
    );
  });

  it('changes nothing for a key the registry does not hold', async () => {
    store.addOrg('a');
    await expect(
      bulkSetFlag(deps, admin, 'nope', { org_ids: ['a'], enabled: true }, { requestId: 'r', now: new Date(at) }),
    ).rejects.toBeInstanceOf(UnknownFlagError);
    expect(store.calls).toEqual([]);
  });
});
