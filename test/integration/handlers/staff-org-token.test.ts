import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadOrCreateKeys, signToken, type LocalKeys } from '../../../lib/local/auth.js';
import { LocalEventBus } from '../../../lib/local/event-bus.js';
import { startLocalServer, type HttpTarget } from '../../../lib/local/server.js';
import type { HandlerName } from '../../../lib/service/handlers.js';
import { ROUTES } from '../../../lambdas/http/routes.js';
import { appDeps } from '../../../lambdas/shared/deps.js';
import { provisionOrg } from '../../../lambdas/use-cases/flags.js';
import { uniqueOrgId } from '../../support/events.js';
import { publicFlag } from '../../support/flags.js';
import { TestTable } from '../../support/table.js';

/**
 * A token that carries both a staff scope and an `org_id` claim (one identity-provider mistake away
 * from an org user's token) is refused by the handlers, whatever the route: signed for real, checked
 * by the local gateway's JWT authorizer, and handed to the real handlers over DynamoDB Local.
 */
const HANDLERS: readonly HandlerName[] = ['set-org-flag', 'get-org-flags', 'list-orgs', 'ofrep-evaluate-flag'];

const table = new TestTable();
let server: Awaited<ReturnType<typeof startLocalServer>>;
let dataDir: string;
let keys: LocalKeys;
const orgId = uniqueOrgId('acme');
const otherOrgId = uniqueOrgId('globex');
const flag = publicFlag();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-staff-org-token-'));
  keys = await loadOrCreateKeys(dataDir);
  const handlers: Partial<Record<HandlerName, HttpTarget>> = {};
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  for (const name of HANDLERS) {
    handlers[name] = ((await import(`../../../lambdas/handlers/${name}.js`)) as { handler: HttpTarget }).handler;
  }
  server = await startLocalServer({
    port: 0,
    routes: ROUTES.filter((route) => HANDLERS.includes(route.handler)),
    handlers,
    keys,
    bus: new LocalEventBus({ rules: [], targets: {}, deadLetterFile: path.join(dataDir, 'dead-letters.jsonl') }),
  });
  for (const id of [orgId, otherOrgId]) await provisionOrg(appDeps(), id, { actor: 'test:setup', now: new Date() });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
  table.close();
});

async function call(method: string, urlPath: string, token: string, body?: unknown) {
  const response = await fetch(`${server.url}${urlPath}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const flagRow = async (id: string) => (await table.flagRows(id)).find((item) => item.key === flag.key);

describe('a signed token with a staff scope and an org_id claim', () => {
  test('cannot write any org, its own or another: 403 ambiguous_role, nothing written', async () => {
    const token = await signToken(keys, { role: 'admin', orgId });
    const before = [await flagRow(orgId), await flagRow(otherOrgId)];

    for (const target of [orgId, otherOrgId]) {
      const answer = await call('POST', '/org-feature-flags', token, {
        org_id: target,
        key: flag.key,
        enabled: !flag.default_enabled,
      });
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({ error: { code: 'ambiguous_role', message: expect.stringContaining('org_id') } });
    }
    expect([await flagRow(orgId), await flagRow(otherOrgId)]).toEqual(before);
  });

  test('cannot read across orgs as a service either', async () => {
    const token = await signToken(keys, { role: 'service', orgId });
    for (const urlPath of [`/org-feature-flags/${otherOrgId}`, `/org-feature-flags/${orgId}`, '/orgs']) {
      const answer = await call('GET', urlPath, token);
      expect(answer.status).toBe(403);
      expect((answer.json?.error as { code?: string } | undefined)?.code).toBe('ambiguous_role');
    }
  });

  test('is refused by the OpenFeature routes too (their 403 has no body)', async () => {
    const token = await signToken(keys, { role: 'admin', orgId });
    const answer = await call('POST', `/ofrep/v1/evaluate/flags/${flag.key}`, token, {
      context: { targetingKey: otherOrgId },
    });
    expect(answer.status).toBe(403);
    expect(answer.text).toBe('');
  });

  test('while the same roles without the claim work as before', async () => {
    const admin = await signToken(keys, { role: 'admin' });
    const written = await call('POST', '/org-feature-flags', admin, {
      org_id: otherOrgId,
      key: flag.key,
      enabled: !flag.default_enabled,
    });
    expect(written.status).toBe(200);
    expect((await flagRow(otherOrgId))?.enabled).toBe(!flag.default_enabled);

    const own = await signToken(keys, { role: 'org', orgId });
    expect((await call('GET', `/org-feature-flags/${orgId}`, own)).status).toBe(200);
    expect((await call('GET', `/org-feature-flags/${otherOrgId}`, own)).status).toBe(404);
  });
});
