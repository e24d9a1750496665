import { beforeEach, describe, expect, it } from '@jest/globals';
import { buildRegistry } from '../../../registry/index.js';
import type { Caller } from '../../../lambdas/domain/caller.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  UnknownFlagError,
} from '../../../lambdas/domain/errors.js';
import type { FlagChange } from '../../../lambdas/domain/flag-store.js';
import type { FlagRow, FlagState } from '../../../lambdas/domain/flags.js';
import { getOrgFlags, listFlags, provisionOrg, setOrgFlag, type Deps } from '../../../lambdas/use-cases/flags.js';
import { FakeFlagStore } from '../../support/fake-flag-store.js';
import { rejectionOf } from '../../support/rejection.js';

const registry = buildRegistry(
  [
    {
      key: 'composer',
      description: 'The composer.',
      default_enabled: true,
      internal_only: false,
      owner: 'team-a',
      created: '2026-09-01',
      permanent: true,
    },
    {
      key: 'staff-tools',
      description: 'Staff tools.',
      default_enabled: false,
      internal_only: true,
      owner: 'team-a',
      created: '2026-10-01',
      cleanup_after: '2027-06-30',
    },
    {
      key: 'chat',
      description: 'Chat.',
      default_enabled: false,
      internal_only: false,
      owner: 'team-b',
      created: '2026-11-01',
      cleanup_after: '2027-05-31',
    },
  ],
  [{ key: 'legacy-editor', retired: '2026-10-01', reason: 'Replaced by composer.' }],
  '2026-12-01',
);
const KEYS = ['composer', 'staff-tools', 'chat'];

const admin: Caller = { role: 'admin', id: 'alice@example.com' };
const service: Caller = { role: 'service', id: 'billing-service' };
const acmeUser: Caller = { role: 'org', id: 'bob@acme.test', orgId: 'acme' };

const now = new Date('2026-12-01T12:00:00.000Z');
const context = { requestId: 'req-1', now };

function row(key: string, enabled: boolean, fields: Partial<FlagRow> = {}): FlagRow {
  return {
    orgId: 'acme',
    key,
    enabled,
    version: 5,
    source: 'provisioned',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    updatedBy: 'org-created',
    ...fields,
  };
}

let store: FakeFlagStore;
let deps: Deps;

beforeEach(() => {
  store = new FakeFlagStore();
  deps = { registry, store };
});

describe('listFlags', () => {
  it('gives admins and services every flag, internal ones included, and the retired keys', () => {
    for (const caller of [admin, service]) {
      const result = listFlags(registry, caller);
      expect(result.registry_version).toBe(registry.version);
      expect(result.flags.map((flag) => flag.key)).toEqual(KEYS);
      expect(result.retired?.map((entry) => entry.key)).toEqual(['legacy-editor']);
    }
  });

  it('hides internal flags and retired keys from org callers', () => {
    const result = listFlags(registry, acmeUser);
    expect(result.registry_version).toBe(registry.version);
    expect(result.flags.map((flag) => flag.key)).toEqual(['composer', 'chat']);
    expect(result).not.toHaveProperty('retired');
  });
});

describe('getOrgFlags', () => {
  beforeEach(() => {
    store.addOrg('acme', 'v-provisioned');
    store.addOrg('globex');
    store.addRow(row('composer', false));
    store.addRow(row('staff-tools', true));
    store.addRow(row('removed-flag', true));
  });

  it('returns 404 to an org caller asking for another org, without touching the store', async () => {
    const error = await rejectionOf(getOrgFlags(deps, acmeUser, 'globex'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).status).toBe(404);
    expect(store.calls).toEqual([]);
  });

  it('reports an org the caller may not see exactly like a missing one', async () => {
    const forbidden = (await rejectionOf(getOrgFlags(deps, acmeUser, 'globex'))) as NotFoundError;
    const missing = (await rejectionOf(getOrgFlags(deps, admin, 'globex-missing'))) as NotFoundError;
    expect(forbidden.code).toBe(missing.code);
    expect(forbidden.message).toBe(missing.message.replace('globex-missing', 'globex'));
  });

  it('returns 404 for an org that was never provisioned', async () => {
    const error = await rejectionOf(getOrgFlags(deps, admin, 'initech'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).status).toBe(404);
  });

  it('gives an admin every registry flag, internal ones included, merged with the rows', async () => {
    const { body } = await getOrgFlags(deps, admin, 'acme');
    expect(body.org_id).toBe('acme');
    expect(body.registry_version).toBe(registry.version);
    expect(body.provisioned_registry_version).toBe('v-provisioned');
    expect(body.flags.map((flag) => [flag.key, flag.user_enabled, flag.is_default])).toEqual([
      ['composer', false, false],
      ['staff-tools', true, false],
      ['chat', false, true],
    ]);
  });

  it('gives a service internal flags too', async () => {
    const { body } = await getOrgFlags(deps, service, 'acme');
    expect(body.flags.map((flag) => flag.key)).toEqual(KEYS);
  });

  it('gives an org caller its own flags without internal ones', async () => {
    const { body } = await getOrgFlags(deps, acmeUser, 'acme');
    expect(body.flags.map((flag) => flag.key)).toEqual(['composer', 'chat']);
    expect(body.flags.some((flag) => flag.internal_only)).toBe(false);
  });

  it('reports orphaned rows separately and never in the body', async () => {
    const { body, orphanKeys } = await getOrgFlags(deps, admin, 'acme');
    expect(orphanKeys).toEqual(['removed-flag']);
    expect(body.flags.map((flag) => flag.key)).not.toContain('removed-flag');
  });
});

describe('setOrgFlag', () => {
  beforeEach(() => {
    store.addOrg('acme');
  });

  it.each([
    ['a service', service],
    ['an org caller, even for its own org', acmeUser],
  ])('forbids %s, without touching the store', async (_label, caller) => {
    const error = await rejectionOf(setOrgFlag(deps, caller, { org_id: 'acme', key: 'chat', enabled: true }, context));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).status).toBe(403);
    expect(store.calls).toEqual([]);
  });

  it.each(['no-such-flag', 'legacy-editor', 'Chat'])(
    'rejects the unknown key %s with 400 unknown_flag naming every valid key',
    async (key) => {
      const error = await rejectionOf(setOrgFlag(deps, admin, { org_id: 'acme', key, enabled: true }, context));
      expect(error).toBeInstanceOf(UnknownFlagError);
      const unknown = error as UnknownFlagError;
      expect(unknown.status).toBe(400);
      expect(unknown.code).toBe('unknown_flag');
      expect(unknown.message).toContain(key);
      for (const valid of KEYS) expect(unknown.message).toContain(valid);
      expect(unknown.details?.valid_keys).toEqual(KEYS);
      expect(store.calls).toEqual([]);
    },
  );

  it('asks the store to apply the change with the registry default and the caller as actor', async () => {
    await setOrgFlag(deps, admin, { org_id: 'acme', key: 'composer', enabled: false }, context);
    expect(store.calls).toEqual([
      {
        method: 'applyChange',
        args: [
          {
            orgId: 'acme',
            key: 'composer',
            enabled: false,
            registryDefault: true,
            actor: 'alice@example.com',
            requestId: 'req-1',
            now,
          },
        ],
      },
    ]);
  });

  it('passes the version the writer saw as the expected version', async () => {
    store.addRow(row('chat', false, { version: 5 }));
    await setOrgFlag(deps, admin, { org_id: 'acme', key: 'chat', enabled: true, version: 5 }, context);
    const change = store.calls[0]?.args[0] as FlagChange;
    expect(change.expectedVersion).toBe(5);
  });

  it('returns the changed flag and its previous value', async () => {
    store.addRow(row('chat', false, { version: 5 }));
    const result = await setOrgFlag(deps, admin, { org_id: 'acme', key: 'chat', enabled: true, version: 5 }, context);
    expect(result).toEqual({
      org_id: 'acme',
      changed: true,
      previous_enabled: false,
      flag: {
        key: 'chat',
        description: 'Chat.',
        feature_flag_value: 1,
        user_enabled: true,
        internal_only: false,
        from_registry: true,
        is_default: false,
        source: 'admin',
        version: 6,
        updated_at: '2026-12-01T12:00:00.000Z',
        updated_by: 'alice@example.com',
        updated_by_email: null,
      },
    });
  });

  it('reports an unchanged flag as not changed, with its current state', async () => {
    store.addRow(row('chat', true, { version: 9 }));
    const result = await setOrgFlag(deps, admin, { org_id: 'acme', key: 'chat', enabled: true }, context);
    expect(result.changed).toBe(false);
    expect(result.previous_enabled).toBe(true);
    expect(result.flag).toMatchObject({
      key: 'chat',
      user_enabled: true,
      version: 9,
      source: 'provisioned',
      is_default: false,
    });
  });

  it('maps org_not_found to a 404', async () => {
    const error = await rejectionOf(
      setOrgFlag(deps, admin, { org_id: 'initech', key: 'chat', enabled: true }, context),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).status).toBe(404);
    expect((error as NotFoundError).code).toBe('org_not_found');
  });

  it('maps version_conflict to a 409 carrying the current version and state', async () => {
    const current: FlagState = row('chat', true, { version: 7 });
    store.nextOutcome = { kind: 'version_conflict', current };
    const error = await rejectionOf(
      setOrgFlag(deps, admin, { org_id: 'acme', key: 'chat', enabled: false, version: 5 }, context),
    );
    expect(error).toBeInstanceOf(ConflictError);
    const conflict = error as ConflictError;
    expect(conflict.status).toBe(409);
    expect(conflict.code).toBe('version_conflict');
    expect(conflict.details).toEqual({
      current_version: 7,
      current: expect.objectContaining({
        key: 'chat',
        user_enabled: true,
        version: 7,
        source: 'provisioned',
        is_default: false,
      }),
    });
  });

  it('maps the same conflict to a 412 when the version came in If-Match', async () => {
    store.nextOutcome = { kind: 'version_conflict', current: row('chat', true, { version: 7 }) };
    const error = await rejectionOf(
      setOrgFlag(
        deps,
        admin,
        { org_id: 'acme', key: 'chat', enabled: false, version: 5 },
        { ...context, precondition: 'if-match' },
      ),
    );
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect((error as PreconditionFailedError).status).toBe(412);
    expect((error as PreconditionFailedError).code).toBe('precondition_failed');
    expect((error as PreconditionFailedError).details).toMatchObject({ current_version: 7, current: { version: 7 } });
  });

  it('maps a version_conflict on a flag with no row to current version 0 and the registry default', async () => {
    store.nextOutcome = { kind: 'version_conflict', current: undefined };
    const error = await rejectionOf(
      setOrgFlag(deps, admin, { org_id: 'acme', key: 'chat', enabled: true, version: 3 }, context),
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).details).toEqual({
      current_version: 0,
      current: expect.objectContaining({ key: 'chat', is_default: true, user_enabled: false, version: 0 }),
    });
  });
});

describe('provisionOrg', () => {
  const provisionContext = { actor: 'org-created:evt-1', now };

  it('writes nothing for an org that is already provisioned', async () => {
    store.addOrg('acme', 'v-earlier');
    const result = await provisionOrg(deps, 'acme', provisionContext);
    expect(result).toEqual({ org_id: 'acme', provisioned: false, rows_written: 0, registry_version: 'v-earlier' });
    expect(store.methods()).toEqual(['getOrg']);
    expect(store.rows.size).toBe(0);
  });

  it('writes one row per registry flag, then the org record', async () => {
    const result = await provisionOrg(deps, 'acme', provisionContext);
    expect(result).toEqual({
      org_id: 'acme',
      provisioned: true,
      rows_written: KEYS.length,
      registry_version: registry.version,
    });
    expect(store.methods()).toEqual(['getOrg', 'putRowsIfAbsent', 'putOrgIfAbsent']);

    const rows = store.calls[1]?.args[0] as FlagRow[];
    expect(rows.map((written) => [written.orgId, written.key, written.enabled, written.source])).toEqual([
      ['acme', 'composer', true, 'provisioned'],
      ['acme', 'staff-tools', false, 'provisioned'],
      ['acme', 'chat', false, 'provisioned'],
    ]);
    expect(rows.every((written) => written.updatedBy === 'org-created:evt-1')).toBe(true);
    expect(store.orgs.get('acme')).toEqual({
      orgId: 'acme',
      provisionedAt: '2026-12-01T12:00:00.000Z',
      registryVersion: registry.version,
      provisionedBy: 'org-created:evt-1',
    });
  });

  it('completes a half-provisioned org without overwriting the rows it already has', async () => {
    const existing = row('composer', false, { source: 'admin', version: 12 });
    store.addRow(existing);
    const result = await provisionOrg(deps, 'acme', provisionContext);
    expect(result.provisioned).toBe(true);
    expect(result.rows_written).toBe(KEYS.length - 1);
    expect(store.rows.get('acme#composer')).toBe(existing);
    expect(store.orgs.has('acme')).toBe(true);
  });

  it('reports provisioned: false when a concurrent call wrote the org record first', async () => {
    const racing = new FakeFlagStore();
    const originalGetOrg = racing.getOrg.bind(racing);
    racing.getOrg = async (orgId) => {
      const seen = await originalGetOrg(orgId);
      racing.addOrg(orgId, 'v-other-writer');
      return seen;
    };
    const result = await provisionOrg({ registry, store: racing }, 'acme', provisionContext);
    expect(result.provisioned).toBe(false);
    expect(racing.orgs.get('acme')?.registryVersion).toBe('v-other-writer');
  });

  it('is a no-op when repeated', async () => {
    await provisionOrg(deps, 'acme', provisionContext);
    const rowsAfterFirst = new Map(store.rows);
    const second = await provisionOrg(deps, 'acme', {
      actor: 'org-created:evt-1-redelivered',
      now: new Date('2026-12-01T12:05:00.000Z'),
    });
    expect(second.provisioned).toBe(false);
    expect(second.rows_written).toBe(0);
    expect(store.rows).toEqual(rowsAfterFirst);
  });
});
