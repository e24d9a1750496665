import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { handler as bulkSetFlag } from '../../../lambdas/handlers/bulk-set-flag.js';
import { handler as getFlagHistory } from '../../../lambdas/handlers/get-flag-history.js';
import { handler as getOrgFlag } from '../../../lambdas/handlers/get-org-flag.js';
import { handler as getOrgHistory } from '../../../lambdas/handlers/get-org-history.js';
import { handler as listFlagOrgs } from '../../../lambdas/handlers/list-flag-orgs.js';
import { handler as listOrgs } from '../../../lambdas/handlers/list-orgs.js';
import { handler as setOrgFlag } from '../../../lambdas/handlers/set-org-flag.js';
import { appDeps } from '../../../lambdas/shared/deps.js';
import { provisionOrg } from '../../../lambdas/use-cases/flags.js';
import { dynamoDbCallCounter, SUBJECTS, uniqueOrgId, type HttpEventOptions } from '../../support/events.js';
import { internalFlag, publicFlag, type MergedFlagBody } from '../../support/flags.js';
import { expectErrorBody, invoke } from '../../support/http.js';
import { TestTable } from '../../support/table.js';

const table = new TestTable();
const calls = dynamoDbCallCounter();
afterAll(() => table.close());

const flag = publicFlag();
const provision = (orgId: string) => provisionOrg(appDeps(), orgId, { actor: 'test:setup', now: new Date() });
const set = (orgId: string, enabled: boolean, options: Partial<HttpEventOptions> = {}) =>
  invoke<{ changed: boolean; flag: MergedFlagBody }>(setOrgFlag, {
    method: 'POST',
    path: '/org-feature-flags',
    body: { org_id: orgId, key: flag.key, enabled },
    role: 'admin',
    ...options,
  });

interface HistoryBody {
  changes: {
    change_id: string;
    org_id: string;
    key: string;
    previous_enabled: boolean;
    enabled: boolean;
    version: number;
    source: string;
    changed_by: string;
    changed_by_email: string | null;
    changed_at: string;
    request_id: string;
  }[];
  next_cursor: string | null;
}

/** Alters one character in the middle of a cursor. */
const tamper = (cursor: string) => {
  const i = Math.floor(cursor.length / 2);
  return `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
};

describe('GET /orgs', () => {
  const prefix = uniqueOrgId('find');
  const ids = ['a', 'b', 'c', 'd', 'e'].map((suffix) => `${prefix}-${suffix}`);
  beforeAll(async () => {
    for (const id of ids) await provision(id);
  });

  const page = (query: Record<string, string>, role: 'admin' | 'service' | 'org' = 'admin') =>
    invoke<{ orgs: { org_id: string; registry_version: string }[]; next_cursor: string | null }>(listOrgs, {
      method: 'GET',
      path: '/orgs',
      role,
      queryStringParameters: query,
      ...(role === 'org' ? { orgId: ids[0] } : {}),
    });

  test('finds orgs by id prefix, a page at a time, in id order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const result = await page({ prefix, limit: '2', ...(cursor ? { cursor } : {}) }, 'service');
      expect(result.status).toBe(200);
      expect(result.body.orgs.length).toBeLessThanOrEqual(2);
      seen.push(...result.body.orgs.map((org) => org.org_id));
      cursor = result.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  test('a cursor of another prefix, or an altered one, is 400 invalid_cursor', async () => {
    const first = await page({ prefix, limit: '2' });
    const cursor = first.body.next_cursor!;
    expectErrorBody(await page({ prefix: `${prefix}-a`, limit: '2', cursor }), 400, 'invalid_cursor');
    expectErrorBody(await page({ prefix, limit: '2', cursor: tamper(cursor) }), 400, 'invalid_cursor');
  });

  test('bad input is a 400 and an org token a 403', async () => {
    expectErrorBody(await page({ limit: '0' }), 400, 'invalid_request');
    expectErrorBody(await page({ limit: '201' }), 400, 'invalid_request');
    expectErrorBody(await page({ prefix: 'no spaces' }), 400, 'invalid_request');
    expectErrorBody(await page({ sort: 'desc' }), 400, 'invalid_request');
    expectErrorBody(await page({}, 'org'), 403, 'forbidden');
  });
});

describe('GET /org-feature-flags/{org_id}/flags/{key}', () => {
  const get = (orgId: string, key: string, options: Partial<HttpEventOptions> = {}) =>
    invoke<{ org_id: string; flag: MergedFlagBody }>(getOrgFlag, {
      method: 'GET',
      path: '/org-feature-flags/{org_id}/flags/{key}',
      pathParameters: { org_id: orgId, key },
      role: 'admin',
      ...options,
    });

  test('one GetItem, the merged item, its version as ETag; If-None-Match with it is a 304', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    calls.reset();
    const result = await get(orgId, flag.key);
    expect(calls.counts()).toEqual({ GetItemCommand: 1 });
    expect(result.status).toBe(200);
    expect(result.body.flag).toMatchObject({
      key: flag.key,
      user_enabled: flag.default_enabled,
      source: 'provisioned',
      is_default: false,
    });
    expect(result.headers.etag).toBe(`"${result.body.flag.version}"`);

    const unchanged = await get(orgId, flag.key, { headers: { 'if-none-match': String(result.headers.etag) } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.raw.body).toBeUndefined();

    await set(orgId, !flag.default_enabled);
    const changed = await get(orgId, flag.key, { headers: { 'if-none-match': String(result.headers.etag) } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(result.headers.etag);
  });

  test('an org token reads its own non-internal flag; internal, unknown and other orgs are 404', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const own = await get(orgId, flag.key, { role: 'org', orgId });
    expect(own.status).toBe(200);
    expectErrorBody(await get(orgId, internalFlag().key, { role: 'org', orgId }), 404, 'flag_not_found');
    expectErrorBody(await get(orgId, 'no-such-flag', { role: 'org', orgId }), 404, 'flag_not_found');
    expectErrorBody(await get(orgId, flag.key, { role: 'org', orgId: uniqueOrgId() }), 404, 'org_not_found');
    expectErrorBody(await get(orgId, 'no-such-flag'), 400, 'unknown_flag');
    expectErrorBody(await get(uniqueOrgId(), flag.key), 404, 'org_not_found');
    expectErrorBody(await get('bad id!', flag.key), 400, 'invalid_request');
  });
});

describe('If-Match on POST /org-feature-flags', () => {
  test('a stale If-Match is a 412 with the current state; a stale body version a 409; nothing is written', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const first = await set(orgId, !flag.default_enabled);
    const version = first.body.flag.version;
    expect(first.headers.etag).toBe(`"${version}"`);

    const stale = await set(orgId, flag.default_enabled, { headers: { 'if-match': '"1"' } });
    expectErrorBody(stale, 412, 'precondition_failed');
    expect(
      (stale.body as unknown as { error: { current_version: number; current: MergedFlagBody } }).error,
    ).toMatchObject({
      current_version: version,
      current: { key: flag.key, version, user_enabled: !flag.default_enabled, updated_by: SUBJECTS.admin },
    });
    const staleBody = await invoke(setOrgFlag, {
      method: 'POST',
      path: '/org-feature-flags',
      body: { org_id: orgId, key: flag.key, enabled: flag.default_enabled, version: 1 },
      role: 'admin',
    });
    expectErrorBody(staleBody, 409, 'version_conflict');

    const ok = await set(orgId, flag.default_enabled, { headers: { 'if-match': `"${version}"` } });
    expect(ok.status).toBe(200);
    expect(ok.body.changed).toBe(true);
  });

  test('a malformed If-Match, or one that contradicts the body, is a 400', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    expectErrorBody(await set(orgId, true, { headers: { 'if-match': '17' } }), 400, 'invalid_request');
    expectErrorBody(await set(orgId, true, { headers: { 'if-match': '"a"' } }), 400, 'invalid_request');
    const both = await invoke(setOrgFlag, {
      method: 'POST',
      path: '/org-feature-flags',
      body: { org_id: orgId, key: flag.key, enabled: true, version: 2 },
      headers: { 'if-match': '"3"' },
      role: 'admin',
    });
    expectErrorBody(both, 400, 'invalid_request');
  });
});

describe('history', () => {
  const orgHistory = (orgId: string, query: Record<string, string> = {}) =>
    invoke<HistoryBody>(getOrgHistory, {
      method: 'GET',
      path: '/org-feature-flags/{org_id}/history',
      pathParameters: { org_id: orgId },
      role: 'service',
      queryStringParameters: query,
    });

  test("an org's changes, newest first, with who (subject, and email beside it), when and the request id", async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const results = [];
    for (const enabled of [!flag.default_enabled, flag.default_enabled, !flag.default_enabled]) {
      results.push(await set(orgId, enabled, { sub: 'user-sub-7', email: 'carol@example.com' }));
    }
    await invoke(setOrgFlag, {
      method: 'POST',
      path: '/org-feature-flags',
      body: { org_id: orgId, key: internalFlag().key, enabled: !internalFlag().default_enabled },
      role: 'admin',
    });

    const all = await orgHistory(orgId);
    expect(all.status).toBe(200);
    expect(all.body.changes).toHaveLength(4);
    expect(all.body.changes[0]?.key).toBe(internalFlag().key);
    const ofFlag = await orgHistory(orgId, { key: flag.key });
    expect(ofFlag.body.changes.map((c) => c.version)).toEqual(results.map((r) => r.body.flag.version).reverse());
    expect(ofFlag.body.changes[0]).toEqual({
      change_id: expect.any(String),
      org_id: orgId,
      key: flag.key,
      previous_enabled: flag.default_enabled,
      enabled: !flag.default_enabled,
      version: results[2]?.body.flag.version,
      source: 'admin',
      changed_by: 'user-sub-7',
      changed_by_email: 'carol@example.com',
      changed_at: results[2]?.body.flag.updated_at,
      request_id: expect.any(String),
    });
    expect(results[2]?.body.flag).toMatchObject({ updated_by: 'user-sub-7', updated_by_email: 'carol@example.com' });
    expect(new Set(all.body.changes.map((c) => c.change_id)).size).toBe(4);
  });

  test('pages with a cursor bound to the org and key', async () => {
    const orgId = uniqueOrgId();
    const other = uniqueOrgId();
    await provision(orgId);
    await provision(other);
    for (const enabled of [!flag.default_enabled, flag.default_enabled, !flag.default_enabled])
      await set(orgId, enabled);
    await set(other, !flag.default_enabled);
    const first = await orgHistory(orgId, { limit: '2' });
    expect(first.body.changes).toHaveLength(2);
    const cursor = first.body.next_cursor!;
    const second = await orgHistory(orgId, { limit: '2', cursor });
    expect(second.body.changes).toHaveLength(1);
    expect([...first.body.changes, ...second.body.changes].map((c) => c.changed_at)).toEqual(
      [...first.body.changes, ...second.body.changes]
        .map((c) => c.changed_at)
        .sort()
        .reverse(),
    );
    expectErrorBody(await orgHistory(other, { limit: '2', cursor }), 400, 'invalid_cursor');
    expectErrorBody(await orgHistory(orgId, { limit: '2', key: flag.key, cursor }), 400, 'invalid_cursor');
    expectErrorBody(await orgHistory(orgId, { limit: '2', cursor: tamper(cursor) }), 400, 'invalid_cursor');
  });

  test('an org that does not exist is a 404; an org token is refused', async () => {
    expectErrorBody(await orgHistory(uniqueOrgId()), 404, 'org_not_found');
    const orgId = uniqueOrgId();
    await provision(orgId);
    const asOrg = await invoke(getOrgHistory, {
      method: 'GET',
      path: '/org-feature-flags/{org_id}/history',
      pathParameters: { org_id: orgId },
      role: 'org',
      orgId,
    });
    expectErrorBody(asOrg, 403, 'forbidden');
  });

  test("one flag's changes across orgs, newest first", async () => {
    const a = uniqueOrgId();
    const b = uniqueOrgId();
    await provision(a);
    await provision(b);
    const first = await set(a, !flag.default_enabled);
    const second = await set(b, !flag.default_enabled);
    const result = await invoke<HistoryBody>(getFlagHistory, {
      method: 'GET',
      path: '/feature-flags/{key}/history',
      pathParameters: { key: flag.key },
      role: 'admin',
      queryStringParameters: { limit: '200' },
    });
    expect(result.status).toBe(200);
    const mine = result.body.changes.filter((c) => c.org_id === a || c.org_id === b);
    expect(mine.map((c) => [c.org_id, c.version])).toEqual([
      [b, second.body.flag.version],
      [a, first.body.flag.version],
    ]);
    expect(result.body.changes.every((c) => c.key === flag.key)).toBe(true);
  });
});

describe('POST /feature-flags/{key}/orgs', () => {
  const bulk = (key: string, body: unknown, role: 'admin' | 'service' = 'admin') =>
    invoke<{ request_id: string; counts: Record<string, number>; results: { org_id: string; result: string }[] }>(
      bulkSetFlag,
      { method: 'POST', path: '/feature-flags/{key}/orgs', pathParameters: { key }, body, role },
    );

  test('a result per org, each an audited write with one shared request id', async () => {
    const orgs = [uniqueOrgId(), uniqueOrgId(), uniqueOrgId()];
    for (const id of orgs) await provision(id);
    await set(orgs[1]!, !flag.default_enabled);
    const missing = uniqueOrgId();
    const result = await bulk(flag.key, { org_ids: [...orgs, missing], enabled: !flag.default_enabled });
    expect(result.status).toBe(200);
    expect(result.body.results.map((r) => [r.org_id, r.result])).toEqual([
      [orgs[0], 'changed'],
      [orgs[1], 'unchanged'],
      [orgs[2], 'changed'],
      [missing, 'org_not_found'],
    ]);
    expect(result.body.counts).toEqual({ changed: 2, unchanged: 1, org_not_found: 1, conflict: 0, error: 0 });
    for (const id of [orgs[0]!, orgs[2]!]) {
      const history = await invoke<HistoryBody>(getOrgHistory, {
        method: 'GET',
        path: '/org-feature-flags/{org_id}/history',
        pathParameters: { org_id: id },
        role: 'admin',
      });
      expect(history.body.changes.map((c) => c.request_id)).toEqual([result.body.request_id]);
    }
  });

  test('bad input changes nothing: unknown key, too many orgs, repeats, a service token', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    expectErrorBody(await bulk('no-such-flag', { org_ids: [orgId], enabled: true }), 400, 'unknown_flag');
    expectErrorBody(
      await bulk(flag.key, { org_ids: Array.from({ length: 101 }, (_, i) => `o-${i}`), enabled: true }),
      400,
      'invalid_request',
    );
    expectErrorBody(await bulk(flag.key, { org_ids: [orgId, orgId], enabled: true }), 400, 'invalid_request');
    expectErrorBody(await bulk(flag.key, { org_ids: [], enabled: true }), 400, 'invalid_request');
    expectErrorBody(await bulk(flag.key, { org_ids: [orgId], enabled: 'yes' }), 400, 'invalid_request');
    expectErrorBody(await bulk(flag.key, { org_ids: [orgId], enabled: true }, 'service'), 403, 'forbidden');
    const history = await invoke<HistoryBody>(getOrgHistory, {
      method: 'GET',
      path: '/org-feature-flags/{org_id}/history',
      pathParameters: { org_id: orgId },
      role: 'admin',
    });
    expect(history.body.changes).toEqual([]);
  });
});

describe('GET /org-feature-flags/by-flag/{key}', () => {
  const byFlag = (key: string, query: Record<string, string> = {}) =>
    invoke<{
      key: string;
      flag: { key: string };
      orgs: { org_id: string; enabled: boolean; is_default: boolean }[];
      next_cursor: string | null;
    }>(listFlagOrgs, {
      method: 'GET',
      path: '/org-feature-flags/by-flag/{key}',
      pathParameters: { key },
      role: 'service',
      queryStringParameters: query,
    });

  test("the flag's definition, orgs in id order, and a cursor bound to the flag and filter", async () => {
    await provision(uniqueOrgId());
    await provision(uniqueOrgId());
    await provision(uniqueOrgId());
    const first = await byFlag(flag.key, { limit: '2' });
    expect(first.status).toBe(200);
    expect(first.body.flag.key).toBe(flag.key);
    expect(first.body.orgs).toHaveLength(2);
    expect(first.body.orgs[0]!.org_id < first.body.orgs[1]!.org_id).toBe(true);
    const cursor = first.body.next_cursor!;
    expect((await byFlag(flag.key, { limit: '2', cursor })).status).toBe(200);
    expectErrorBody(await byFlag(internalFlag().key, { limit: '2', cursor }), 400, 'invalid_cursor');
    expectErrorBody(await byFlag(flag.key, { limit: '2', enabled: 'true', cursor }), 400, 'invalid_cursor');
    expectErrorBody(await byFlag(flag.key, { limit: '2', cursor: tamper(cursor) }), 400, 'invalid_cursor');
    expectErrorBody(await byFlag(flag.key, { enabled: 'yes' }), 400, 'invalid_request');
    expectErrorBody(await byFlag('no-such-flag'), 400, 'unknown_flag');
  });
});
