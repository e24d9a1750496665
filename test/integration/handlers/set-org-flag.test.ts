import { afterAll, beforeEach, describe, expect, test } from '@jest/globals';
import { handler as getOrgFlags } from '../../../lambdas/handlers/get-org-flags.js';
import { handler as setOrgFlag } from '../../../lambdas/handlers/set-org-flag.js';
import { MAX_BODY_BYTES } from '../../../lambdas/http/request.js';
import { appDeps } from '../../../lambdas/shared/deps.js';
import { provisionOrg } from '../../../lambdas/use-cases/flags.js';
import {
  dynamoDbCallCounter,
  httpEvent,
  lambdaContext,
  SUBJECTS,
  uniqueOrgId,
  type HttpEventOptions,
  type TestRole,
} from '../../support/events.js';
import {
  flagByKey,
  publicFlag,
  registry,
  type ErrorBody,
  type OrgFlagsBody,
  type SetFlagResponseBody,
} from '../../support/flags.js';
import { expectErrorBody, invoke, type HttpResult } from '../../support/http.js';
import { TestTable } from '../../support/table.js';

const table = new TestTable();
const calls = dynamoDbCallCounter();
afterAll(() => table.close());
beforeEach(() => calls.reset());

const provision = (orgId: string) => provisionOrg(appDeps(), orgId, { actor: 'test:setup', now: new Date() });

const post = (body: unknown, options: Partial<HttpEventOptions> = {}) =>
  invoke<SetFlagResponseBody>(setOrgFlag, {
    method: 'POST',
    path: '/org-feature-flags',
    body,
    role: 'admin',
    ...options,
  });

const postAs = (role: TestRole, body: unknown, claimOrgId?: string) =>
  post(body, { role, ...(claimOrgId === undefined ? {} : { orgId: claimOrgId }) });

async function mergedFlag(orgId: string, key: string) {
  const { status, body } = await invoke<OrgFlagsBody>(getOrgFlags, {
    method: 'GET',
    path: '/org-feature-flags/{org_id}',
    pathParameters: { org_id: orgId },
    role: 'admin',
  });
  expect(status).toBe(200);
  return flagByKey(body.flags, key);
}

const errorOf = (result: HttpResult<unknown>) => (result.body as ErrorBody).error;

describe('set-org-flag handler (POST /org-feature-flags)', () => {
  const flag = publicFlag();

  test('an admin toggles a flag: one TransactWriteItems, the new value, and a history entry', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const before = await mergedFlag(orgId, flag.key);
    expect(before.user_enabled).toBe(flag.default_enabled);

    calls.reset();
    const result = await post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled });

    expect(calls.counts()).toEqual({ TransactWriteItemsCommand: 1 });
    expect(result.status).toBe(200);
    expect(result.body.org_id).toBe(orgId);
    expect(result.body.changed).toBe(true);
    expect(result.body.previous_enabled).toBe(flag.default_enabled);
    expect(result.body.flag).toEqual(
      expect.objectContaining({
        key: flag.key,
        user_enabled: !flag.default_enabled,
        feature_flag_value: flag.default_enabled ? 0 : 1,
        source: 'admin',
        updated_by: SUBJECTS.admin,
        is_default: false,
      }),
    );
    expect(result.body.flag.version).toBeGreaterThan(before.version);

    const after = await mergedFlag(orgId, flag.key);
    expect(after).toEqual(
      expect.objectContaining({
        user_enabled: !flag.default_enabled,
        feature_flag_value: flag.default_enabled ? 0 : 1,
        source: 'admin',
        updated_by: SUBJECTS.admin,
        is_default: false,
        version: result.body.flag.version,
        updated_at: result.body.flag.updated_at,
      }),
    );
    expect(after.version).toBeGreaterThan(before.version);

    const history = await table.historyItems(orgId);
    expect(history).toHaveLength(1);
    expect(history[0]).toEqual(
      expect.objectContaining({
        pk: `HIST#${orgId}`,
        org_id: orgId,
        key: flag.key,
        enabled: !flag.default_enabled,
        previous_enabled: flag.default_enabled,
        changed_by: SUBJECTS.admin,
        changed_at: after.updated_at,
        version: after.version,
      }),
    );
    expect(Number.isNaN(Date.parse(String(history[0]?.changed_at)))).toBe(false);
  });

  test('enabled_at records when the flag last went from off to on', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    await post({ org_id: orgId, key: flag.key, enabled: false });

    const on = await post({ org_id: orgId, key: flag.key, enabled: true });
    expect(on.body.changed).toBe(true);
    expect((await table.flagRow(orgId, flag.key))?.enabled_at).toBe(on.body.flag.updated_at);

    const off = await post({ org_id: orgId, key: flag.key, enabled: false });
    expect(off.body.changed).toBe(true);
    const row = await table.flagRow(orgId, flag.key);
    expect(row?.enabled).toBe(false);
    expect(row?.enabled_at).toBe(on.body.flag.updated_at);
  });

  test('setting the value it already has is changed: false and writes no history', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const first = await post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled });
    expect(first.body.changed).toBe(true);
    const rowBefore = await table.flagRow(orgId, flag.key);

    const again = await post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled });

    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
    expect(again.body.flag.user_enabled).toBe(!flag.default_enabled);
    expect(again.body.flag.version).toBe(first.body.flag.version);
    expect(await table.historyItems(orgId)).toHaveLength(1);
    expect(await table.flagRow(orgId, flag.key)).toEqual(rowBefore);
  });

  test('setting a provisioned flag to its current value is changed: false', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);

    const result = await post({ org_id: orgId, key: flag.key, enabled: flag.default_enabled });

    expect(result.status).toBe(200);
    expect(result.body.changed).toBe(false);
    expect(result.body.flag.source).toBe('provisioned');
    expect(await table.historyItems(orgId)).toEqual([]);
  });

  test('version precondition: a stale version is a 409, the current one is applied', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const provisioned = await mergedFlag(orgId, flag.key);
    const first = await post({
      org_id: orgId,
      key: flag.key,
      enabled: !flag.default_enabled,
      version: provisioned.version,
    });
    expect(first.status).toBe(200);
    expect(first.body.changed).toBe(true);

    const stale = await post({
      org_id: orgId,
      key: flag.key,
      enabled: flag.default_enabled,
      version: provisioned.version,
    });

    expectErrorBody(stale, 409, 'version_conflict');
    expect(errorOf(stale).current_version).toBe(first.body.flag.version);
    expect((await mergedFlag(orgId, flag.key)).user_enabled).toBe(!flag.default_enabled);
    expect(await table.historyItems(orgId)).toHaveLength(1);

    const current = await post({
      org_id: orgId,
      key: flag.key,
      enabled: flag.default_enabled,
      version: first.body.flag.version,
    });

    expect(current.status).toBe(200);
    expect(current.body.changed).toBe(true);
    expect(current.body.flag.version).toBeGreaterThan(first.body.flag.version);
    expect(await table.historyItems(orgId)).toHaveLength(2);
  });

  test('version 0 on an existing row is a 409', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);

    const result = await post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled, version: 0 });

    expectErrorBody(result, 409, 'version_conflict');
  });

  test('an unknown key is a 400 unknown_flag naming every valid key', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    calls.reset();

    const result = await post({ org_id: orgId, key: 'no-such-flag', enabled: true });

    expectErrorBody(result, 400, 'unknown_flag');
    const error = errorOf(result);
    for (const definition of registry.flags) expect(error.message).toContain(definition.key);
    expect(error.message).toContain('no-such-flag');
    expect(error.valid_keys).toEqual(registry.flags.map((f) => f.key));
    expect(calls.total()).toBe(0);
    expect(await table.historyItems(orgId)).toEqual([]);
  });

  test('an unknown org is a 404 and nothing is written', async () => {
    const orgId = uniqueOrgId();

    const result = await post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled });

    expectErrorBody(result, 404, 'org_not_found');
    expect(await table.orgItems(orgId)).toEqual([]);
    expect(await table.historyItems(orgId)).toEqual([]);
  });

  test('an unknown org is a 404 even with a version precondition', async () => {
    const orgId = uniqueOrgId();

    const result = await post({ org_id: orgId, key: flag.key, enabled: true, version: 7 });

    expectErrorBody(result, 404, 'org_not_found');
    expect(await table.orgItems(orgId)).toEqual([]);
  });

  test('changes to different flags of one org at the same time all commit', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);

    const results = await Promise.all(
      registry.flags.map((definition) =>
        post({ org_id: orgId, key: definition.key, enabled: !definition.default_enabled }),
      ),
    );

    expect(results.map((result) => result.status)).toEqual(registry.flags.map(() => 200));
    expect(await table.historyItems(orgId)).toHaveLength(registry.flags.length);
  });

  test.each([
    ['a service', 'service', undefined],
    ['an org', 'org', 'own'],
  ] as const)('%s token is a 403 and changes nothing', async (_name, role, claim) => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const before = await table.orgItems(orgId);

    const result = await postAs(
      role,
      { org_id: orgId, key: flag.key, enabled: !flag.default_enabled },
      claim ? orgId : undefined,
    );

    expectErrorBody(result, 403, 'forbidden');
    expect(await table.orgItems(orgId)).toEqual(before);
    expect(await table.historyItems(orgId)).toEqual([]);
  });

  test('no authorizer is a 401', async () => {
    const result = await postAs('none', { org_id: uniqueOrgId(), key: flag.key, enabled: true });

    expectErrorBody(result, 401, 'unauthorized');
  });

  test('malformed JSON is a 400 malformed_json', async () => {
    const result = await post('{"org_id": "acme", "key": ');

    expectErrorBody(result, 400, 'malformed_json');
  });

  test.each<[string, unknown]>([
    ['enabled as a string', { key: flag.key, enabled: 'yes' }],
    ['enabled as a number', { key: flag.key, enabled: 1 }],
    ['enabled as null', { key: flag.key, enabled: null }],
    ['key as a number', { key: 42, enabled: true }],
    ['version as a string', { key: flag.key, enabled: true, version: '3' }],
    ['a negative version', { key: flag.key, enabled: true, version: -1 }],
    ['a fractional version', { key: flag.key, enabled: true, version: 1.5 }],
  ])('wrong types (%s) are a 400', async (_name, fields) => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    calls.reset();

    const result = await post({ org_id: orgId, ...(fields as object) });

    expectErrorBody(result, 400, 'invalid_request');
    expect(calls.total()).toBe(0);
  });

  test('the 400 for wrong types names the bad field, in the message and in its issues', async () => {
    const result = await post({ org_id: uniqueOrgId(), key: flag.key, enabled: 'yes' });

    expectErrorBody(result, 400, 'invalid_request');
    expect(errorOf(result)).toMatchObject({
      message: '✖ enabled must be a boolean\n  → at enabled',
      issues: [{ field: 'enabled', message: 'enabled must be a boolean' }],
    });
  });

  test.each<[string, unknown]>([
    ['an empty object', {}],
    ['no key and no enabled', { org_id: 'acme' }],
    ['no enabled', { org_id: 'acme', key: 'chat' }],
    ['no org_id', { key: 'chat', enabled: true }],
    ['no key', { org_id: 'acme', enabled: true }],
  ])('missing fields (%s) are a 400', async (_name, body) => {
    const result = await post(body);

    expectErrorBody(result, 400, 'invalid_request');
  });

  test('an extra field is a 400', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);

    const result = await post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled, note: 'because' });

    expectErrorBody(result, 400, 'invalid_request');
    expect(await table.historyItems(orgId)).toEqual([]);
  });

  test('a text/plain body is a 415', async () => {
    const result = await post(JSON.stringify({ org_id: uniqueOrgId(), key: flag.key, enabled: true }), {
      headers: { 'content-type': 'text/plain' },
    });

    expectErrorBody(result, 415, 'unsupported_media_type');
  });

  test('a 17 KB body is a 413', async () => {
    const body = JSON.stringify({
      org_id: uniqueOrgId(),
      key: flag.key,
      enabled: true,
      padding: 'x'.repeat(17 * 1024),
    });
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BODY_BYTES);

    const result = await post(body);

    expectErrorBody(result, 413, 'payload_too_large');
  });

  test('a base64-encoded JSON body with a charset parameter is accepted', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const body = Buffer.from(JSON.stringify({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled })).toString(
      'base64',
    );

    const result = await post(body, {
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });

    expect(result.status).toBe(200);
    expect(result.body.changed).toBe(true);
  });

  test('a flag with no row (added after provisioning) is created by a POST', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    await table.deleteFlagRow(orgId, flag.key);
    expect((await mergedFlag(orgId, flag.key)).is_default).toBe(true);

    const result = await post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled });

    expect(result.status).toBe(200);
    expect(result.body.changed).toBe(true);
    expect(result.body.previous_enabled).toBe(flag.default_enabled);
    const row = await table.flagRow(orgId, flag.key);
    expect(row).toEqual(
      expect.objectContaining({
        org_id: orgId,
        key: flag.key,
        enabled: !flag.default_enabled,
        source: 'admin',
        updated_by: SUBJECTS.admin,
      }),
    );
    expect(await mergedFlag(orgId, flag.key)).toEqual(
      expect.objectContaining({ is_default: false, user_enabled: !flag.default_enabled, source: 'admin' }),
    );
    const history = await table.historyItems(orgId);
    expect(history).toHaveLength(1);
    expect(history[0]).toEqual(
      expect.objectContaining({ previous_enabled: flag.default_enabled, enabled: !flag.default_enabled }),
    );
  });

  test('a flag with no row, set to its registry default, gets an explicit row', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    await table.deleteFlagRow(orgId, flag.key);

    const result = await post({ org_id: orgId, key: flag.key, enabled: flag.default_enabled });

    expect(result.status).toBe(200);
    expect(await table.flagRow(orgId, flag.key)).toEqual(
      expect.objectContaining({ enabled: flag.default_enabled, source: 'admin' }),
    );
    expect((await mergedFlag(orgId, flag.key)).is_default).toBe(false);
  });

  test('concurrent identical changes: one wins, none is lost or duplicated, none is a 500', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);

    const results = await Promise.all(
      Array.from({ length: 8 }, () => post({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled })),
    );

    for (const result of results) expect([200, 409]).toContain(result.status);
    const changed = results.filter((r) => r.status === 200 && r.body.changed);
    expect(changed).toHaveLength(1);
    expect(await table.historyItems(orgId)).toHaveLength(1);
    expect((await mergedFlag(orgId, flag.key)).user_enabled).toBe(!flag.default_enabled);
  });

  describe('no client mistake is a 500', () => {
    const valid = () => ({ org_id: uniqueOrgId(), key: flag.key, enabled: true });
    const cases: [string, Partial<HttpEventOptions> & { body?: unknown }][] = [
      ['no body', { body: undefined, headers: { 'content-type': 'application/json' } }],
      ['an empty body', { body: '' }],
      ['the JSON null', { body: 'null' }],
      ['a JSON array', { body: '[{"org_id":"acme","key":"chat","enabled":true}]' }],
      ['a JSON string', { body: '"chat"' }],
      ['a JSON number', { body: '42' }],
      ['truncated JSON', { body: '{"org_id":' }],
      ['JSON with a trailing comma', { body: '{"org_id":"acme","key":"chat","enabled":true,}' }],
      ['invalid UTF-8', { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'), isBase64Encoded: true }],
      ['invalid base64', { body: '@@@not-base64@@@', isBase64Encoded: true }],
      [
        'deeply nested JSON',
        { body: `{"org_id":"acme","key":"chat","enabled":true,"x":${'['.repeat(5000)}${']'.repeat(5000)}}` },
      ],
      ['a __proto__ field', { body: '{"org_id":"acme","key":"chat","enabled":true,"__proto__":{"admin":true}}' }],
      ['a constructor key', { body: { org_id: 'acme', key: 'constructor', enabled: true } }],
      ['a __proto__ key', { body: { org_id: 'acme', key: '__proto__', enabled: true } }],
      ['an empty key', { body: { org_id: 'acme', key: '', enabled: true } }],
      ['a 10 KB key', { body: { org_id: 'acme', key: 'k'.repeat(10_000), enabled: true } }],
      ['an org id with a slash', { body: { org_id: 'a/b', key: 'chat', enabled: true } }],
      ['an org id of 65 characters', { body: { org_id: 'x'.repeat(65), key: 'chat', enabled: true } }],
      ['an org id with unicode', { body: { org_id: 'açme', key: 'chat', enabled: true } }],
      ['an org id as an object', { body: { org_id: { S: 'acme' }, key: 'chat', enabled: true } }],
      ['a huge version', { body: { org_id: 'acme', key: 'chat', enabled: true, version: 1e30 } }],
      [
        'a version beyond the safe integers',
        { body: '{"org_id":"acme","key":"chat","enabled":true,"version":9007199254740993}' },
      ],
      ['enabled as "true"', { body: { org_id: 'acme', key: 'chat', enabled: 'true' } }],
      ['no content-type', { body: valid(), headers: { 'content-type': '' } }],
      ['content-type text/plain', { body: valid(), headers: { 'content-type': 'text/plain' } }],
      [
        'content-type form',
        { body: 'org_id=acme&key=chat&enabled=true', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      ],
      ['a 17 KB body', { body: { ...valid(), padding: 'x'.repeat(17 * 1024) } }],
      ['a 1 MB body', { body: 'x'.repeat(1024 * 1024) }],
      ['a service token', { body: valid(), role: 'service' }],
      ['an org token', { body: valid(), role: 'org', orgId: 'acme' }],
      ['an org token without its claim', { body: valid(), role: 'org' }],
      ['no token', { body: valid(), role: 'none' }],
      ['an unknown org', { body: valid() }],
      ['an unknown flag', { body: { ...valid(), key: 'no-such-flag' } }],
      ['a stale version on an unknown org', { body: { ...valid(), version: 12 } }],
    ];

    test.each(cases)('%s', async (_name, options) => {
      const result = await post(options.body, options);

      expect(result.status).toBeLessThan(500);
      expect(result.status).toBeGreaterThanOrEqual(400);
      expectErrorBody(result, result.status);
    });

    test('a token with no scope of this service is a 403', async () => {
      const event = httpEvent({ method: 'POST', path: '/org-feature-flags', body: valid(), role: 'admin' });
      event.requestContext.authorizer.jwt.scopes = [];
      event.requestContext.authorizer.jwt.claims.scope = 'openid';
      const raw = await setOrgFlag(event, lambdaContext());

      expect(raw.statusCode).toBe(403);
    });
  });
});
