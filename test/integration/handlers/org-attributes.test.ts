import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ORG_UPDATED } from '../../../lambdas/domain/events.js';
import { handler as getOrg } from '../../../lambdas/handlers/get-org.js';
import { handler as listOrgs } from '../../../lambdas/handlers/list-orgs.js';
import { handler as orgCreated } from '../../../lambdas/handlers/org-created.js';
import { handler as orgUpdated } from '../../../lambdas/handlers/org-updated.js';
import { handler as provisionOrg } from '../../../lambdas/handlers/provision-org.js';
import { handler as setOrgAttributes } from '../../../lambdas/handlers/set-org-attributes.js';
import { eventBridgeEvent, lambdaContext, SUBJECTS, uniqueOrgId, type TestRole } from '../../support/events.js';
import { invoke } from '../../support/http.js';
import { TestTable } from '../../support/table.js';

const table = new TestTable();
afterAll(() => table.close());

const created = (detail: Record<string, unknown>) => orgCreated(eventBridgeEvent(detail), lambdaContext('org-created'));
const updated = (orgId: string, attributes: Record<string, unknown>, occurredAt: string, id = randomUUID()) =>
  orgUpdated(
    eventBridgeEvent({ org_id: orgId, attributes, occurred_at: occurredAt }, { 'detail-type': ORG_UPDATED, id }),
    lambdaContext('org-updated'),
  );

interface OrgBody {
  org_id: string;
  attributes: Record<string, string>;
  attributes_at: string | null;
  attributes_by: string | null;
  attribute_changes: {
    attributes: Record<string, string>;
    previous: Record<string, string>;
    changed_by: string;
    source: string;
  }[];
}

const read = (orgId: string, role: TestRole = 'admin') =>
  invoke<OrgBody>(getOrg, { method: 'GET', path: '/orgs/{org_id}', pathParameters: { org_id: orgId }, role });
const put = (orgId: string, body: unknown, role: TestRole = 'admin') =>
  invoke<OrgBody & { error?: { code: string; message: string } }>(setOrgAttributes, {
    method: 'PUT',
    path: '/orgs/{org_id}/attributes',
    pathParameters: { org_id: orgId },
    body,
    role,
  });
/** The org's record and attribute log, for before/after comparisons. */
const stored = async (orgId: string) => ({
  record: await table.orgRecords(orgId),
  log: await table.partition(`ATTRS#${orgId}`),
});

describe('org attributes from OrgCreated', () => {
  test('the declared attributes are stored; an undeclared or invalid one is left unset and the org is still provisioned', async () => {
    const orgId = uniqueOrgId();
    await created({ org_id: orgId, plan: 'enterprise', region: 'mars', name: 'Acme', seats: 40 });

    const { status, body } = await read(orgId, 'service');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      org_id: orgId,
      attributes: { plan: 'enterprise' },
      attributes_by: 'event:org-service',
    });
    expect((await table.flagRows(orgId)).length).toBeGreaterThan(0);
  });

  test('an org backfilled before its OrgCreated gets the event’s attributes; a redelivery changes nothing', async () => {
    const orgId = uniqueOrgId();
    await invoke(provisionOrg, { method: 'POST', path: '/orgs/{org_id}/provision', pathParameters: { org_id: orgId } });
    expect((await read(orgId)).body.attributes).toEqual({});

    const event = eventBridgeEvent({ org_id: orgId, plan: 'pro', region: 'eu' });
    await orgCreated(event, lambdaContext('org-created'));
    expect((await read(orgId)).body).toMatchObject({ attributes: { plan: 'pro', region: 'eu' } });
    const before = await stored(orgId);
    expect(before.log).toHaveLength(1);

    await orgCreated(event, lambdaContext('org-created'));
    expect(await stored(orgId)).toEqual(before);
  });
});

describe('OrgUpdated', () => {
  test('a newer event changes the named attributes with an audit entry; null unsets one; an older event changes nothing', async () => {
    const orgId = uniqueOrgId();
    await created({ org_id: orgId, plan: 'free', region: 'us', occurred_at: '2026-12-01T10:00:00Z' });

    await updated(orgId, { plan: 'enterprise' }, '2026-12-02T10:00:00Z');
    let body = (await read(orgId)).body;
    expect(body.attributes).toEqual({ plan: 'enterprise', region: 'us' });
    expect(body.attributes_at).toBe('2026-12-02T10:00:00.000Z');
    expect(body.attribute_changes).toEqual([
      expect.objectContaining({
        previous: { plan: 'free', region: 'us' },
        attributes: { plan: 'enterprise', region: 'us' },
        changed_by: 'event:org-service',
        source: 'event',
      }),
    ]);

    const before = await stored(orgId);
    await updated(orgId, { plan: 'pro' }, '2026-12-01T23:59:59+01:00');
    expect(await stored(orgId)).toEqual(before);

    await updated(orgId, { region: null, plan: 'platinum' }, '2026-12-03T00:00:00Z');
    body = (await read(orgId)).body;
    expect(body.attributes).toEqual({ plan: 'enterprise' });
    expect(body.attribute_changes).toHaveLength(2);
  });

  test('the same values again only move the time on, so an older event still on its way stays ignored', async () => {
    const orgId = uniqueOrgId();
    await created({ org_id: orgId, plan: 'pro', occurred_at: '2026-12-01T00:00:00Z' });
    await updated(orgId, { plan: 'pro' }, '2026-12-03T00:00:00Z');
    await updated(orgId, { plan: 'free' }, '2026-12-02T00:00:00Z');

    const { body } = await read(orgId);
    expect(body.attributes).toEqual({ plan: 'pro' });
    expect(body.attributes_at).toBe('2026-12-03T00:00:00.000Z');
    expect(body.attribute_changes).toEqual([]);
  });

  test('concurrent events, each redelivered while it collides, end at the latest one’s values, each applied change audited once', async () => {
    const orgId = uniqueOrgId();
    await created({ org_id: orgId, occurred_at: '2026-12-01T00:00:00Z' });
    const plans = ['free', 'pro', 'enterprise'];
    // A delivery that keeps colliding fails, and its rule delivers it again, as here.
    const deliver = async (index: number) => {
      const occurredAt = new Date(Date.UTC(2026, 11, 2, 0, index)).toISOString();
      for (let attempt = 1; ; attempt++) {
        try {
          return await updated(orgId, { plan: plans[index % 3] }, occurredAt);
        } catch (error) {
          if (attempt === 5 || !String(error).includes('changed concurrently')) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, index) => deliver(index)));
    const { body } = await read(orgId);
    expect(body.attributes).toEqual({ plan: plans[11 % 3] });
    expect(body.attributes_at).toBe(new Date(Date.UTC(2026, 11, 2, 0, 11)).toISOString());
    for (const change of body.attribute_changes) expect(change.attributes).not.toEqual(change.previous);
  });

  test('an org not provisioned yet fails the event, so it is retried (and finally dead-lettered), writing nothing', async () => {
    const orgId = uniqueOrgId();
    await expect(updated(orgId, { plan: 'pro' }, '2026-12-02T00:00:00Z')).rejects.toThrow(/not provisioned/);
    expect(await stored(orgId)).toEqual({ record: [], log: [] });
  });

  test('a malformed event (no occurred_at) is rejected with its reason and writes nothing', async () => {
    const orgId = uniqueOrgId();
    await created({ org_id: orgId, plan: 'pro' });
    const before = await stored(orgId);
    await expect(
      orgUpdated(
        eventBridgeEvent({ org_id: orgId, attributes: { plan: 'free' } }, { 'detail-type': ORG_UPDATED }),
        lambdaContext('org-updated'),
      ),
    ).rejects.toThrow(/occurred_at/);
    expect(await stored(orgId)).toEqual(before);
  });
});

describe('PUT /orgs/{org_id}/attributes', () => {
  test('an admin sets the whole set, audited under their subject; attributes left out are unset', async () => {
    const orgId = uniqueOrgId();
    await created({ org_id: orgId, plan: 'free', region: 'ap' });

    const { status, body } = await put(orgId, { attributes: { plan: 'enterprise' } });
    expect(status).toBe(200);
    expect(body.attributes).toEqual({ plan: 'enterprise' });
    expect(body.attributes_by).toBe(SUBJECTS.admin);
    expect(body.attribute_changes[0]).toMatchObject({
      previous: { plan: 'free', region: 'ap' },
      attributes: { plan: 'enterprise' },
      changed_by: SUBJECTS.admin,
      source: 'admin',
    });
  });

  test('bad input is a 400 that changes nothing; services and orgs may not set attributes', async () => {
    const orgId = uniqueOrgId();
    await created({ org_id: orgId, plan: 'free' });
    const before = await stored(orgId);

    for (const body of [
      { attributes: { plan: 'gold' } },
      { attributes: { seats: '4' } },
      { attributes: { plan: 3 } },
      { plan: 'pro' },
      {},
    ]) {
      const answer = await put(orgId, body);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({
        body,
        status: 400,
        code: 'invalid_request',
      });
    }
    expect((await put(orgId, { attributes: { plan: 'gold' } })).body.error?.message).toContain(
      'plan must be one of free, pro, enterprise',
    );
    expect((await put(orgId, { attributes: { plan: 'pro' } }, 'service')).status).toBe(403);
    expect((await put(orgId, { attributes: { plan: 'pro' } }, 'org')).status).toBe(403);
    expect((await read(orgId, 'org')).status).toBe(403);
    expect((await put(uniqueOrgId(), { attributes: { plan: 'pro' } })).status).toBe(404);
    expect(await stored(orgId)).toEqual(before);
  });
});

describe('GET /orgs with attribute filters', () => {
  test('lists exactly the orgs with one of the values, page by page, with a cursor bound to the filter', async () => {
    const prefix = `attrs-${randomUUID().slice(0, 8)}-`;
    const plans = ['free', 'pro', 'enterprise'];
    const orgIds = Array.from({ length: 30 }, (_, index) => `${prefix}${String(index).padStart(2, '0')}`);
    await Promise.all(orgIds.map((orgId, index) => created({ org_id: orgId, plan: plans[index % 3] })));
    const list = (query: Record<string, string>) =>
      invoke<{
        orgs: { org_id: string; attributes: Record<string, string> }[];
        next_cursor: string | null;
        error?: { code: string };
      }>(listOrgs, { method: 'GET', path: '/orgs', queryStringParameters: { prefix, ...query } });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list({ plan: 'pro,enterprise', limit: '6', ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      expect(page.body.orgs.length).toBeLessThanOrEqual(6);
      seen.push(...page.body.orgs.map((org) => org.org_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(orgIds.filter((_, index) => index % 3 !== 0));

    const first = await list({ plan: 'enterprise', limit: '2' });
    expect(first.body.orgs).toEqual([
      expect.objectContaining({ org_id: orgIds[2], attributes: { plan: 'enterprise' } }),
      expect.objectContaining({ org_id: orgIds[5] }),
    ]);
    const foreign = await list({ plan: 'free', cursor: String(first.body.next_cursor) });
    expect({ status: foreign.status, code: foreign.body.error?.code }).toEqual({ status: 400, code: 'invalid_cursor' });
    const unknown = await list({ plan: 'gold' });
    expect(unknown.status).toBe(400);
  });
});
