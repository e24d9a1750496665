import { afterAll, describe, expect, test } from '@jest/globals';
import { DynamoDbFlagStore } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import type { Caller } from '../../../lambdas/domain/caller.js';
import { getOrgFlags, provisionOrg } from '../../../lambdas/use-cases/flags.js';
import { FLAGS } from '../../../registry/flags.js';
import { buildRegistry } from '../../../registry/index.js';
import { RETIRED } from '../../../registry/retired.js';
import { uniqueOrgId } from '../../support/events.js';
import { patientDocumentClient, requiredEnv } from '../../support/table.js';

const client = patientDocumentClient();
afterAll(() => client.destroy());

describe('changing a registry default: defaults initialize new orgs and never flip existing ones', () => {
  test('orgs provisioned before keep the old default; orgs provisioned after get the new one', async () => {
    const store = new DynamoDbFlagStore(client, requiredEnv('TABLE_NAME'));
    const flipped = FLAGS[FLAGS.length - 1];
    if (!flipped) throw new Error('the registry is empty');
    const before = buildRegistry(FLAGS, RETIRED);
    const after = buildRegistry(
      FLAGS.map((flag) => (flag.key === flipped.key ? { ...flag, default_enabled: !flag.default_enabled } : flag)),
      RETIRED,
    );
    expect(after.flags.map((f) => f.key)).toEqual(before.flags.map((f) => f.key));
    expect(after.version).not.toBe(before.version);

    const orgA = uniqueOrgId('org-a');
    const orgB = uniqueOrgId('org-b');
    await provisionOrg({ registry: before, store }, orgA, { actor: 'test', now: new Date() });
    await provisionOrg({ registry: after, store }, orgB, { actor: 'test', now: new Date() });

    const admin: Caller = { role: 'admin', id: 'admin-user-1' };
    const a = await getOrgFlags({ registry: after, store }, admin, orgA);
    const b = await getOrgFlags({ registry: after, store }, admin, orgB);

    const flagOf = (flags: typeof a.body.flags) => flags.find((f) => f.key === flipped.key);
    expect(flagOf(a.body.flags)).toEqual(
      expect.objectContaining({ user_enabled: flipped.default_enabled, is_default: false, source: 'provisioned' }),
    );
    expect(flagOf(b.body.flags)).toEqual(
      expect.objectContaining({ user_enabled: !flipped.default_enabled, is_default: false, source: 'provisioned' }),
    );
    expect(a.body.provisioned_registry_version).toBe(before.version);
    expect(b.body.provisioned_registry_version).toBe(after.version);
    expect(a.body.registry_version).toBe(after.version);
    for (const key of before.flags.map((f) => f.key).filter((k) => k !== flipped.key)) {
      expect(a.body.flags.find((f) => f.key === key)?.user_enabled).toBe(
        b.body.flags.find((f) => f.key === key)?.user_enabled,
      );
    }
  });
});
