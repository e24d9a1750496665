import { afterAll, describe, expect, test } from '@jest/globals';
import { handler as provisionOrg } from '../../../lambdas/handlers/provision-org.js';
import { handler as setOrgFlag } from '../../../lambdas/handlers/set-org-flag.js';
import { SUBJECTS, uniqueOrgId, type TestRole } from '../../support/events.js';
import { publicFlag, registry, type SetFlagResponseBody } from '../../support/flags.js';
import { expectErrorBody, invoke } from '../../support/http.js';
import { TestTable } from '../../support/table.js';

const table = new TestTable();
afterAll(() => table.close());

interface ProvisionBody {
  org_id: string;
  provisioned: boolean;
  rows_written: number;
  registry_version: string;
}

const provision = (orgId: string, role: TestRole = 'admin', claimOrgId?: string) =>
  invoke<ProvisionBody>(provisionOrg, {
    method: 'POST',
    path: '/orgs/{org_id}/provision',
    pathParameters: { org_id: orgId },
    role,
    ...(claimOrgId === undefined ? {} : { orgId: claimOrgId }),
  });

const sorted = async (orgId: string) =>
  (await table.orgItems(orgId)).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));

describe('provision-org handler (POST /orgs/{org_id}/provision)', () => {
  test('an admin provisions an org (201), and a repeat is a 200 that changes no row', async () => {
    const orgId = uniqueOrgId();

    const first = await provision(orgId);

    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      org_id: orgId,
      provisioned: true,
      rows_written: registry.flags.length,
      registry_version: registry.version,
    });
    expect(await table.flagRows(orgId)).toHaveLength(registry.flags.length);
    const [org] = await table.orgRecords(orgId);
    expect(org).toEqual(
      expect.objectContaining({ provisioned_by: SUBJECTS.admin, registry_version: registry.version }),
    );

    const flag = publicFlag();
    const set = await invoke<SetFlagResponseBody>(setOrgFlag, {
      method: 'POST',
      path: '/org-feature-flags',
      body: { org_id: orgId, key: flag.key, enabled: !flag.default_enabled },
      role: 'admin',
    });
    expect(set.status).toBe(200);
    expect(set.body.changed).toBe(true);
    const before = await sorted(orgId);

    const again = await provision(orgId);

    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      org_id: orgId,
      provisioned: false,
      rows_written: 0,
      registry_version: registry.version,
    });
    expect(await sorted(orgId)).toEqual(before);
    expect(await table.flagRow(orgId, flag.key)).toEqual(
      expect.objectContaining({ enabled: !flag.default_enabled, source: 'admin' }),
    );
  });

  test.each([
    ['a service', 'service', undefined],
    ['an org', 'org', 'self'],
  ] as const)('%s token is a 403 and writes nothing', async (_name, role, claim) => {
    const orgId = uniqueOrgId();

    const result = await provision(orgId, role, claim ? orgId : undefined);

    expectErrorBody(result, 403, 'forbidden');
    expect(await table.orgItems(orgId)).toEqual([]);
  });

  test('no authorizer is a 401', async () => {
    const orgId = uniqueOrgId();

    const result = await provision(orgId, 'none');

    expectErrorBody(result, 401, 'unauthorized');
    expect(await table.orgItems(orgId)).toEqual([]);
  });

  test.each([['a/b'], ['a b'], [''], ['x'.repeat(65)], ['acme.corp']])('a bad org id (%j) is a 400', async (badId) => {
    const result = await provision(badId);

    expectErrorBody(result, 400, 'invalid_request');
    expect(await table.orgItems(badId)).toEqual([]);
  });
});
