import { afterAll, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { handler as getOrgFlags } from '../../../lambdas/handlers/get-org-flags.js';
import { appDeps } from '../../../lambdas/shared/deps.js';
import { logger } from '../../../lambdas/shared/powertools.js';
import { provisionOrg } from '../../../lambdas/use-cases/flags.js';
import { dynamoDbCallCounter, httpEvent, lambdaContext, uniqueOrgId, type TestRole } from '../../support/events.js';
import {
  flagByKey,
  internalFlag,
  publicFlag,
  registry,
  type ErrorBody,
  type OrgFlagsBody,
} from '../../support/flags.js';
import { expectErrorBody, invoke, type HttpResult } from '../../support/http.js';
import { TestTable } from '../../support/table.js';

const table = new TestTable();
const calls = dynamoDbCallCounter();
afterAll(() => table.close());

const get = (orgId: string, role: TestRole = 'admin', claimOrgId?: string) =>
  invoke<OrgFlagsBody>(getOrgFlags, {
    method: 'GET',
    path: '/org-feature-flags/{org_id}',
    pathParameters: { org_id: orgId },
    role,
    ...(claimOrgId === undefined ? {} : { orgId: claimOrgId }),
  });

const provision = (orgId: string) => provisionOrg(appDeps(), orgId, { actor: 'test:setup', now: new Date() });
const allKeys = registry.flags.map((f) => f.key);
const publicKeys = registry.flags.filter((f) => !f.internal_only).map((f) => f.key);

describe('get-org-flags handler (GET /org-feature-flags/{org_id})', () => {
  let orgId: string;
  let otherOrgId: string;

  beforeAll(async () => {
    orgId = uniqueOrgId();
    otherOrgId = uniqueOrgId();
    await provision(orgId);
    await provision(otherOrgId);
  });

  beforeEach(() => calls.reset());

  test('reads the org with exactly one DynamoDB Query', async () => {
    calls.reset();
    const { status, body } = await get(orgId);

    expect(status).toBe(200);
    expect(body.flags.map((f) => f.key)).toEqual(allKeys);
    expect(calls.counts()).toEqual({ QueryCommand: 1 });
    expect(calls.total()).toBe(1);
  });

  test('an unknown org is a 404 org_not_found', async () => {
    const result = await get(uniqueOrgId());

    expectErrorBody(result, 404, 'org_not_found');
  });

  test.each([
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['65 characters', 'x'.repeat(65)],
    ['an empty id', ''],
    ['a dot', 'acme.corp'],
  ])('an org id with %s is a 400 without touching the table', async (_name, badId) => {
    const result = await get(badId);

    expectErrorBody(result, 400, 'invalid_request');
    expect(calls.total()).toBe(0);
  });

  test('no path parameters at all is a 400', async () => {
    const event = httpEvent({ method: 'GET', path: '/org-feature-flags/{org_id}', role: 'admin' });
    const raw = await getOrgFlags(event, lambdaContext());

    expect(raw.statusCode).toBe(400);
  });

  test('an org token on another org is a 404, exactly like a missing org', async () => {
    const result = await get(otherOrgId, 'org', orgId);

    expectErrorBody(result, 404, 'org_not_found');
    expect(calls.total()).toBe(0);
    const missing = await get(uniqueOrgId(), 'org', orgId);
    expect((missing.body as unknown as ErrorBody).error.code).toBe((result.body as unknown as ErrorBody).error.code);
  });

  test('an org token on its own org sees no internal-only flag', async () => {
    const { status, body } = await get(orgId, 'org', orgId);

    expect(status).toBe(200);
    expect(body.flags.map((f) => f.key)).toEqual(publicKeys);
    expect(body.flags.every((f) => !f.internal_only)).toBe(true);
    expect(body.flags.map((f) => f.key)).not.toContain(internalFlag().key);
  });

  test('an org token without its org_id claim is a 403', async () => {
    const result = await get(orgId, 'org');

    expectErrorBody(result, 403, 'forbidden');
  });

  test('a service token sees internal-only flags', async () => {
    const { status, body } = await get(orgId, 'service');

    expect(status).toBe(200);
    expect(body.flags.map((f) => f.key)).toEqual(allKeys);
    expect(flagByKey(body.flags, internalFlag().key).internal_only).toBe(true);
  });

  test('no authorizer is a 401', async () => {
    const result = await get(orgId, 'none');

    expectErrorBody(result, 401, 'unauthorized');
    expect(calls.total()).toBe(0);
  });

  test('a token with no scope of this service is a 403', async () => {
    const event = httpEvent({
      method: 'GET',
      path: '/org-feature-flags/{org_id}',
      pathParameters: { org_id: orgId },
      role: 'admin',
    });
    const jwt = event.requestContext.authorizer.jwt;
    jwt.scopes = ['openid', 'profile'];
    jwt.claims.scope = 'openid profile';
    const raw = await getOrgFlags(event, lambdaContext());

    expect(raw.statusCode).toBe(403);
  });

  test('an orphan row (key no longer in the registry) is not returned', async () => {
    const id = uniqueOrgId();
    await provision(id);
    const now = new Date().toISOString();
    await table.put({
      pk: `ORG#${id}`,
      sk: 'FLAG#retired-thing',
      type: 'flag',
      org_id: id,
      key: 'retired-thing',
      enabled: true,
      version: 1,
      source: 'admin',
      created_at: now,
      updated_at: now,
      updated_by: 'someone',
      gsi1pk: 'FLAG#retired-thing',
      gsi1sk: id,
    });

    const warn = jest.spyOn(logger, 'warn');
    try {
      const { status, body } = await get(id);

      expect(status).toBe(200);
      expect(body.flags.map((f) => f.key)).toEqual(allKeys);
      expect(JSON.stringify(body)).not.toContain('retired-thing');

      // Named once, with org and key, however often the org is read.
      for (let i = 0; i < 5; i++) expect((await get(id)).status).toBe(200);
      const orphanWarnings = warn.mock.calls.filter(([message]) =>
        String(message).startsWith('Org has rows for keys not in the registry'),
      );
      expect(orphanWarnings).toEqual([[expect.any(String), { org_id: id, orphan_keys: ['retired-thing'] }]]);
    } finally {
      warn.mockRestore();
    }
  });

  test('a registry flag with no row shows the registry default with is_default: true', async () => {
    const id = uniqueOrgId();
    await provision(id);
    const definition = publicFlag();
    await table.deleteFlagRow(id, definition.key);

    const { status, body } = await get(id);

    expect(status).toBe(200);
    expect(body.flags.map((f) => f.key)).toEqual(allKeys);
    expect(flagByKey(body.flags, definition.key)).toEqual({
      key: definition.key,
      description: definition.description,
      feature_flag_value: definition.default_enabled ? 1 : 0,
      user_enabled: definition.default_enabled,
      internal_only: definition.internal_only,
      from_registry: true,
      is_default: true,
      source: 'registry_default',
      version: 0,
      updated_at: null,
      updated_by: null,
      updated_by_email: null,
    });
    for (const other of body.flags.filter((f) => f.key !== definition.key)) expect(other.is_default).toBe(false);
  });

  test('the response is JSON and not cacheable', async () => {
    const result: HttpResult<OrgFlagsBody> = await get(orgId, 'service');

    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(result.headers['cache-control']).toBe('no-store');
  });
});
