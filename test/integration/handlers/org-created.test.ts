import { afterAll, describe, expect, test } from '@jest/globals';
import { handler as getOrgFlags } from '../../../lambdas/handlers/get-org-flags.js';
import { handler as orgCreated } from '../../../lambdas/handlers/org-created.js';
import { handler as setOrgFlag } from '../../../lambdas/handlers/set-org-flag.js';
import { eventBridgeEvent, lambdaContext, SUBJECTS, uniqueOrgId } from '../../support/events.js';
import { flagByKey, publicFlag, registry, type OrgFlagsBody, type SetFlagResponseBody } from '../../support/flags.js';
import { invoke } from '../../support/http.js';
import { TestTable } from '../../support/table.js';

const table = new TestTable();
afterAll(() => table.close());

const deliver = (event: unknown) => orgCreated(event, lambdaContext('org-created'));
const getFlags = (orgId: string) =>
  invoke<OrgFlagsBody>(getOrgFlags, {
    method: 'GET',
    path: '/org-feature-flags/{org_id}',
    pathParameters: { org_id: orgId },
    role: 'admin',
  });

/** The org's partition, sorted, for before/after comparisons. */
async function snapshot(orgId: string) {
  return (await table.orgItems(orgId)).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
}

describe('org-created handler (OrgCreated on EventBridge)', () => {
  test('provisions one explicit row per registry flag holding the registry default', async () => {
    const orgId = uniqueOrgId();

    await expect(deliver(eventBridgeEvent({ org_id: orgId, name: 'Acme' }))).resolves.toBeUndefined();

    const { status, body } = await getFlags(orgId);
    expect(status).toBe(200);
    expect(body.org_id).toBe(orgId);
    expect(body.registry_version).toBe(registry.version);
    expect(body.provisioned_registry_version).toBe(registry.version);
    expect(body.flags.map((f) => f.key)).toEqual(registry.flags.map((f) => f.key));
    for (const definition of registry.flags) {
      const flag = flagByKey(body.flags, definition.key);
      expect(flag).toEqual(
        expect.objectContaining({
          key: definition.key,
          description: definition.description,
          user_enabled: definition.default_enabled,
          feature_flag_value: definition.default_enabled ? 1 : 0,
          internal_only: definition.internal_only,
          from_registry: true,
          is_default: false,
          source: 'provisioned',
          updated_by: 'event:org-service',
        }),
      );
      expect(flag.version).toBeGreaterThan(0);
    }

    const rows = await table.flagRows(orgId);
    expect(rows).toHaveLength(registry.flags.length);
    const [org] = await table.orgRecords(orgId);
    expect(org).toEqual(
      expect.objectContaining({
        org_id: orgId,
        registry_version: registry.version,
        provisioned_by: 'event:org-service',
      }),
    );
  });

  test('a redelivered event changes nothing', async () => {
    const orgId = uniqueOrgId();
    const event = eventBridgeEvent({ org_id: orgId });
    await deliver(event);
    const before = await snapshot(orgId);

    await expect(deliver(event)).resolves.toBeUndefined();
    await expect(deliver(eventBridgeEvent({ org_id: orgId }))).resolves.toBeUndefined();

    expect(await snapshot(orgId)).toEqual(before);
  });

  test('20 concurrent duplicate events give exactly one row per flag and one org record', async () => {
    const orgId = uniqueOrgId();

    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => deliver(eventBridgeEvent({ org_id: orgId }))),
    );

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const items = await table.orgItems(orgId);
    const flagRows = items.filter((item) => String(item.sk).startsWith('FLAG#'));
    expect(flagRows).toHaveLength(registry.flags.length);
    expect(flagRows.map((row) => row.key).sort()).toEqual(registry.flags.map((f) => f.key).sort());
    expect(items.filter((item) => item.sk === '#ORG')).toHaveLength(1);
    expect(items).toHaveLength(registry.flags.length + 1);
  });

  test('a value set by an admin survives a later duplicate OrgCreated', async () => {
    const orgId = uniqueOrgId();
    const flag = publicFlag();
    await deliver(eventBridgeEvent({ org_id: orgId }));

    const set = await invoke<SetFlagResponseBody>(setOrgFlag, {
      method: 'POST',
      path: '/org-feature-flags',
      body: { org_id: orgId, key: flag.key, enabled: !flag.default_enabled },
      role: 'admin',
    });
    expect(set.status).toBe(200);
    expect(set.body.changed).toBe(true);

    await deliver(eventBridgeEvent({ org_id: orgId }));

    const merged = flagByKey((await getFlags(orgId)).body.flags, flag.key);
    expect(merged).toEqual(
      expect.objectContaining({
        user_enabled: !flag.default_enabled,
        source: 'admin',
        updated_by: SUBJECTS.admin,
        version: set.body.flag.version,
      }),
    );
  });

  describe('malformed events are rejected and write nothing', () => {
    const cases: [string, (orgId: string) => unknown][] = [
      ['detail without org_id', (orgId) => eventBridgeEvent({ orgId, name: 'Acme' })],
      ['org_id with a slash', (orgId) => eventBridgeEvent({ org_id: `${orgId}/b` })],
      ['org_id "a/b"', () => eventBridgeEvent({ org_id: 'a/b' })],
      ['empty org_id', () => eventBridgeEvent({ org_id: '' })],
      ['org_id of 65 characters', () => eventBridgeEvent({ org_id: 'x'.repeat(65) })],
      ['numeric org_id', () => eventBridgeEvent({ org_id: 12345 })],
      ['detail is a string', (orgId) => eventBridgeEvent(orgId)],
      ['detail is null', () => eventBridgeEvent(null)],
      ['detail is an array', (orgId) => eventBridgeEvent([{ org_id: orgId }])],
      ['wrong detail-type', (orgId) => eventBridgeEvent({ org_id: orgId }, { 'detail-type': 'OrgDeleted' })],
      ['not an EventBridge event', (orgId) => ({ org_id: orgId })],
    ];

    test.each(cases)('%s', async (_name, build) => {
      const orgId = uniqueOrgId();
      const event = build(orgId);

      await expect(deliver(event)).rejects.toThrow();

      expect(await table.orgItems(orgId)).toEqual([]);
      expect(await table.orgItems(`${orgId}/b`)).toEqual([]);
      expect(await table.orgItems('a/b')).toEqual([]);
    });

    test('a rejected event does not block a later good one for the same org', async () => {
      const orgId = uniqueOrgId();
      await expect(deliver(eventBridgeEvent({ org_id: orgId }, { 'detail-type': 'OrgDeleted' }))).rejects.toThrow();

      await deliver(eventBridgeEvent({ org_id: orgId }));

      expect(await table.flagRows(orgId)).toHaveLength(registry.flags.length);
      expect(await table.orgRecords(orgId)).toHaveLength(1);
    });
  });
});
