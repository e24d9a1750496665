import { beforeAll, describe, expect, test } from '@jest/globals';
import { handler as getFlagHistory } from '../../../lambdas/handlers/get-flag-history.js';
import { handler as getOrgHistory } from '../../../lambdas/handlers/get-org-history.js';
import { handler as listFlagOrgs } from '../../../lambdas/handlers/list-flag-orgs.js';
import { handler as listOrgs } from '../../../lambdas/handlers/list-orgs.js';
import { handler as setOrgFlag } from '../../../lambdas/handlers/set-org-flag.js';
import { encodeCursor, type CursorKey } from '../../../lambdas/http/cursor.js';
import { appDeps } from '../../../lambdas/shared/deps.js';
import { provisionOrg } from '../../../lambdas/use-cases/flags.js';
import { uniqueOrgId } from '../../support/events.js';
import { internalFlag, publicFlag } from '../../support/flags.js';
import { expectErrorBody, invoke, type HttpResult } from '../../support/http.js';

/*
 * A cursor's checksum is not a secret: anyone can read a cursor and seal a position of their
 * choosing for any query (`encodeCursor` is what they would write). These cursors are forged that
 * way, sent to the real handlers over DynamoDB Local, and must each be a 400 `invalid_cursor`:
 * never a read outside the query's own partition, and never a 500 from the store refusing them.
 */

const flag = publicFlag();
const otherFlag = internalFlag();
const provision = (orgId: string) => provisionOrg(appDeps(), orgId, { actor: 'test:setup', now: new Date() });
const toggle = async (orgId: string, key: string, enabled: boolean) => {
  const result = await invoke(setOrgFlag, {
    method: 'POST',
    path: '/org-feature-flags',
    body: { org_id: orgId, key, enabled },
  });
  expect(result.status).toBe(200);
};

type Paged = { next_cursor: string | null };

/** The store position inside a cursor, as anyone can read it. */
const positionOf = (cursor: string) =>
  (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k: CursorKey }).k;

/** The cursor's position with every value emptied or zeroed: the store refuses empty key values. */
const emptied = (key: CursorKey): CursorKey =>
  Object.fromEntries(Object.entries(key).map(([name, value]) => [name, typeof value === 'string' ? '' : 0]));

const orgHistory = (orgId: string, query: Record<string, string> = {}) =>
  invoke<Paged>(getOrgHistory, {
    method: 'GET',
    path: '/org-feature-flags/{org_id}/history',
    pathParameters: { org_id: orgId },
    role: 'service',
    queryStringParameters: query,
  });

const flagHistory = (key: string, query: Record<string, string> = {}) =>
  invoke<Paged>(getFlagHistory, {
    method: 'GET',
    path: '/feature-flags/{key}/history',
    pathParameters: { key },
    role: 'service',
    queryStringParameters: query,
  });

const expectInvalidCursor = (result: HttpResult<unknown>) => expectErrorBody(result, 400, 'invalid_cursor');

describe('org history cursors', () => {
  const mine = uniqueOrgId('mine');
  const theirs = uniqueOrgId('theirs');
  let theirCursor: string;
  let myCursor: string;

  beforeAll(async () => {
    for (const orgId of [mine, theirs]) {
      await provision(orgId);
      for (const enabled of [!flag.default_enabled, flag.default_enabled, !flag.default_enabled])
        await toggle(orgId, flag.key, enabled);
    }
    theirCursor = (await orgHistory(theirs, { limit: '1' })).body.next_cursor!;
    myCursor = (await orgHistory(mine, { limit: '1' })).body.next_cursor!;
    expect([theirCursor, myCursor]).toEqual([expect.any(String), expect.any(String)]);
  });

  test("a cursor naming another org's history, sealed for this org's query, is 400", async () => {
    const forged = encodeCursor(`history:${mine}:`, positionOf(theirCursor));
    expectInvalidCursor(await orgHistory(mine, { limit: '1', cursor: forged }));
  });

  test('a cursor whose position the store would refuse is 400, not 500', async () => {
    const forged = encodeCursor(`history:${mine}:`, emptied(positionOf(myCursor)));
    expectInvalidCursor(await orgHistory(mine, { limit: '1', cursor: forged }));
  });

  test('the cursors it hands out still page through exactly its own history', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: HttpResult<Paged & { changes: { org_id: string }[] }> = await invoke(getOrgHistory, {
        method: 'GET',
        path: '/org-feature-flags/{org_id}/history',
        pathParameters: { org_id: mine },
        role: 'service',
        queryStringParameters: { limit: '1', ...(cursor ? { cursor } : {}) },
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.changes.map((change) => change.org_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([mine, mine, mine]);
  });
});

describe('flag history cursors', () => {
  test("a cursor of another flag's history, sealed for this flag's query, is 400", async () => {
    const orgId = uniqueOrgId('fh');
    await provision(orgId);
    for (const enabled of [!otherFlag.default_enabled, otherFlag.default_enabled])
      await toggle(orgId, otherFlag.key, enabled);
    const other = (await flagHistory(otherFlag.key, { limit: '1' })).body.next_cursor!;
    const forged = encodeCursor(`flag-history:${flag.key}`, positionOf(other));
    expectInvalidCursor(await flagHistory(flag.key, { limit: '1', cursor: forged }));
  });

  test('a cursor with an empty position is 400, not a silent restart from the first page', async () => {
    const orgId = uniqueOrgId('fh');
    await provision(orgId);
    for (const enabled of [!flag.default_enabled, flag.default_enabled]) await toggle(orgId, flag.key, enabled);
    const real = (await flagHistory(flag.key, { limit: '1' })).body.next_cursor!;
    const forged = encodeCursor(`flag-history:${flag.key}`, emptied(positionOf(real)));
    expectInvalidCursor(await flagHistory(flag.key, { limit: '1', cursor: forged }));
  });
});

describe('org listing cursors', () => {
  const prefix = uniqueOrgId('cur');
  beforeAll(async () => {
    for (const suffix of ['a', 'b', 'c']) await provision(`${prefix}-${suffix}`);
  });

  const page = (query: Record<string, string>) =>
    invoke<Paged>(listOrgs, { method: 'GET', path: '/orgs', role: 'service', queryStringParameters: query });

  test('a cursor positioned outside the prefix it is sealed for (the store refuses it) is 400, not 500', async () => {
    const real = (await page({ prefix, limit: '1' })).body.next_cursor!;
    const outside = encodeCursor(`orgs:${prefix}`, { ...positionOf(real), after: `zz${prefix}` });
    expectInvalidCursor(await page({ prefix, limit: '1', cursor: outside }));
  });

  test('a cursor whose position the store would refuse is 400, not 500', async () => {
    const real = (await page({ limit: '1' })).body.next_cursor!;
    expectInvalidCursor(await page({ limit: '1', cursor: encodeCursor('orgs:', emptied(positionOf(real))) }));
  });
});

describe('one flag across orgs', () => {
  test('a cursor whose position the store would refuse is 400, not 500', async () => {
    const prefix = uniqueOrgId('bf');
    for (const suffix of ['a', 'b']) await provision(`${prefix}-${suffix}`);
    const byFlag = (query: Record<string, string>) =>
      invoke<Paged>(listFlagOrgs, {
        method: 'GET',
        path: '/org-feature-flags/by-flag/{key}',
        pathParameters: { key: flag.key },
        role: 'service',
        queryStringParameters: query,
      });
    const real = (await byFlag({ limit: '1' })).body.next_cursor!;
    const forged = encodeCursor(`by-flag:${flag.key}:`, emptied(positionOf(real)));
    expectInvalidCursor(await byFlag({ limit: '1', cursor: forged }));
  });
});
