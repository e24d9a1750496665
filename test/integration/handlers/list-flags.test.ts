import { describe, expect, test } from '@jest/globals';
import { handler as listFlags } from '../../../lambdas/handlers/list-flags.js';
import type { FlagDefinition, RetiredFlag } from '../../../registry/index.js';
import { dynamoDbCallCounter, type TestRole } from '../../support/events.js';
import { registry } from '../../support/flags.js';
import { expectErrorBody, invoke } from '../../support/http.js';

interface ListBody {
  registry_version: string;
  flags: FlagDefinition[];
  retired?: RetiredFlag[];
}

const calls = dynamoDbCallCounter();
const list = (role: TestRole, orgId?: string) =>
  invoke<ListBody>(listFlags, {
    method: 'GET',
    path: '/feature-flags',
    role,
    ...(orgId === undefined ? {} : { orgId }),
  });

describe('list-flags handler (GET /feature-flags)', () => {
  test('an admin sees every flag, internal ones included, with the registry version', async () => {
    calls.reset();
    const { status, body } = await list('admin');

    expect(status).toBe(200);
    expect(body.registry_version).toBe(registry.version);
    expect(body.flags).toEqual(registry.flags);
    expect(body.flags.some((f) => f.internal_only)).toBe(true);
    expect(body.retired).toEqual(registry.retired);
    expect(calls.total()).toBe(0);
  });

  test('a service sees internal flags too', async () => {
    const { status, body } = await list('service');

    expect(status).toBe(200);
    expect(body.flags.map((f) => f.key)).toEqual(registry.flags.map((f) => f.key));
  });

  test('an org token sees no internal-only flag and no retired keys', async () => {
    const { status, body } = await list('org', 'acme');

    expect(status).toBe(200);
    expect(body.registry_version).toBe(registry.version);
    expect(body.flags).toEqual(registry.flags.filter((f) => !f.internal_only));
    expect(body.flags.every((f) => !f.internal_only)).toBe(true);
    expect(body.retired).toBeUndefined();
  });

  test('no authorizer is a 401', async () => {
    expectErrorBody(await list('none'), 401, 'unauthorized');
  });
});
