import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { publicFlag } from '../support/flags.js';
import { startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';

/*
 * The operations API on the running local stack, through real HTTP with signed tokens: the
 * by-flag view under concurrent writes, optimistic concurrency under a burst, and bulk changes.
 */

let stack: LocalStackProcess;
let admin: string;
const flag = publicFlag();

async function call<T>(
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const provision = async (ids: readonly string[]) => {
  for (const id of ids) expect((await call('POST', `/orgs/${id}/provision`)).status).toBe(201);
};

interface Change {
  change_id: string;
  org_id: string;
  version: number;
  request_id: string;
}

const historyOf = async (orgId: string) =>
  (await call<{ changes: Change[] }>('GET', `/org-feature-flags/${orgId}/history?key=${flag.key}&limit=200`)).body
    .changes;

beforeAll(async () => {
  stack = await startLocalStackProcess();
  admin = await tokenFor(stack, '--role', 'admin');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the operations API on the local stack', () => {
  it('pages the by-flag view with limit=2 while orgs are toggled, returning every org exactly once', async () => {
    const orgs = Array.from({ length: 15 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    await provision(orgs);
    let toggling = true;
    const toggles = (async () => {
      let n = 0;
      while (toggling) {
        const orgId = orgs[(n * 7) % orgs.length]!;
        await call('POST', '/org-feature-flags', { org_id: orgId, key: flag.key, enabled: n % 2 === 0 });
        n++;
      }
      return n;
    })();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: { status: number; body: { orgs: { org_id: string }[]; next_cursor: string | null } } = await call(
        'GET',
        `/org-feature-flags/by-flag/${flag.key}?${query}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.orgs.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.orgs.map((org) => org.org_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    toggling = false;
    expect(await toggles).toBeGreaterThan(0);
    expect(seen.filter((id) => id.startsWith('page-'))).toEqual(orgs);
  }, 60_000);

  it.each([
    ['the body', 409, 'version_conflict', (version: number) => ({ body: { version }, headers: {} })],
    [
      'If-Match',
      412,
      'precondition_failed',
      (version: number) => ({ body: {}, headers: { 'if-match': `"${version}"` } }),
    ],
  ])(
    'fifty parallel writes naming the same version in %s: one succeeds, the others get %i, one history entry',
    async (_where, status, code, precondition) => {
      const orgId = `burst-${status}`;
      await provision([orgId]);
      const current = await call<{ flag: { version: number; user_enabled: boolean } }>(
        'GET',
        `/org-feature-flags/${orgId}/flags/${flag.key}`,
      );
      const { version, user_enabled } = current.body.flag;
      const results = await Promise.all(
        Array.from({ length: 50 }, () => {
          const { body, headers } = precondition(version);
          return call<{ error?: { code: string } }>(
            'POST',
            '/org-feature-flags',
            { org_id: orgId, key: flag.key, enabled: !user_enabled, ...body },
            headers,
          );
        }),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      const refused = results.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(49);
      for (const result of refused) {
        expect(result.status).toBe(status);
        expect(result.body.error?.code).toBe(code);
      }
      expect(await historyOf(orgId)).toHaveLength(1);
    },
    60_000,
  );

  /** The FeatureFlagChanged events the local bus has recorded so far. */
  const changeEvents = async () =>
    (await readFile(path.join(stack.dataDir, 'events.jsonl'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as {
            'detail-type': string;
            detail: { change_id: string; org_id: string; request_id: string };
          },
      )
      .filter((event) => event['detail-type'] === 'FeatureFlagChanged');

  it('a bulk change of 100 orgs: a result per org, 100 history entries and 100 FeatureFlagChanged events under one request id', async () => {
    const orgs = Array.from({ length: 100 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    await provision(orgs);
    const result = await call<{
      request_id: string;
      counts: Record<string, number>;
      results: { org_id: string; result: string }[];
    }>('POST', `/feature-flags/${flag.key}/orgs`, {
      org_ids: orgs,
      enabled: !flag.default_enabled,
    });
    expect(result.status).toBe(200);
    expect(result.body.results.map((r) => r.org_id)).toEqual(orgs);
    expect(result.body.counts).toEqual({ changed: 100, unchanged: 0, org_not_found: 0, conflict: 0, error: 0 });
    const flagHistory = await call<{ changes: Change[] }>('GET', `/feature-flags/${flag.key}/history?limit=200`);
    const entries = flagHistory.body.changes.filter((change) => change.request_id === result.body.request_id);
    expect(entries.map((entry) => entry.org_id).sort()).toEqual(orgs);

    const deadline = Date.now() + 20_000;
    let events = await changeEvents();
    while (
      events.filter((event) => event.detail.request_id === result.body.request_id).length < 100 &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      events = await changeEvents();
    }
    const ofBulk = events.filter((event) => event.detail.request_id === result.body.request_id);
    expect(ofBulk.map((event) => event.detail.org_id).sort()).toEqual(orgs);
    expect(new Set(ofBulk.map((event) => event.detail.change_id))).toEqual(
      new Set(entries.map((entry) => entry.change_id)),
    );
  }, 120_000);
});
