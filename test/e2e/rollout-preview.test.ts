import { createHash } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startLocalStackProcess, tokenFor, waitFor, type LocalStackProcess } from '../support/local-stack-process.js';

/*
 * The preview of a rollout over 1,000 orgs created as the org-signup system creates them
 * (OrgCreated with plan and region, published with the EventBridge SDK), three of them with a
 * person's value for the flag, through the local stack's HTTP API and its job engine.
 */

const ORGS = 1000;
const PLANS = ['free', 'pro', 'enterprise'];
const REGIONS = ['us', 'eu', 'ap'];

let stack: LocalStackProcess;
let admin: string;
let events: EventBridgeClient;

const orgIds = Array.from({ length: ORGS }, (_, index) => `tenant-${String(index).padStart(4, '0')}`);
const planOf = (index: number) => PLANS[(index * 7 + 2) % 3]!;
const enterprise = orgIds.filter((_, index) => planOf(index) === 'enterprise');
/** The enterprise orgs a person turns chat on for. */
const personal = enterprise.slice(0, 3);

/** The design's bucket, recomputed here from its formula alone. */
const bucket = (key: string, orgId: string) =>
  parseInt(createHash('sha256').update(`${key}:${orgId}`).digest('hex').slice(0, 8), 16) % 10000;

async function call(pathname: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${stack.url}${pathname}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${admin}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startLocalStackProcess();
  admin = await tokenFor(stack, '--role', 'admin');
  events = new EventBridgeClient({
    endpoint: stack.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  for (let start = 0; start < ORGS; start += 10) {
    const entries = orgIds.slice(start, start + 10).map((orgId, offset) => ({
      Source: 'org-service',
      DetailType: 'OrgCreated',
      Detail: JSON.stringify({ org_id: orgId, plan: planOf(start + offset), region: REGIONS[(start + offset) % 3] }),
    }));
    expect((await events.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
  }
  // Every org provisioned: the org list holds all of them (a busy moment's 503 is asked again).
  let provisioned = 0;
  await waitFor(
    async () => {
      let cursor: string | null = null;
      let count = 0;
      do {
        const page = await call(
          `/orgs?prefix=tenant-&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        if (page.status !== 200) return undefined;
        count += (page.body.orgs as unknown[]).length;
        cursor = page.body.next_cursor as string | null;
      } while (cursor);
      provisioned = count;
      return count === ORGS ? true : undefined;
    },
    120_000,
    { last: () => ({ provisioned }), intervalMs: 200 },
  );
  for (const orgId of personal)
    expect(
      (await call('/org-feature-flags', { method: 'POST', body: { org_id: orgId, key: 'chat', enabled: true } }))
        .status,
    ).toBe(200);
}, 180_000);

afterAll(async () => {
  events?.destroy();
  await stack?.stop();
});

describe('a rollout of chat to every enterprise org in steps of 10, 50 and 100 %', () => {
  it('previews per step exactly what the bucket formula gives; the 10 % set is inside the 50 % set; held is the enterprise orgs a person set', async () => {
    const created = await call('/rollouts', {
      method: 'POST',
      body: {
        key: 'chat',
        enabled: true,
        audience: { attributes: { plan: ['enterprise'] } },
        steps: [{ percent: 10 }, { percent: 50 }, { percent: 100 }],
      },
    });
    expect(created.status).toBe(201);
    const id = String(created.body.rollout_id);
    expect((await call(`/rollouts/${id}/preview`, { method: 'POST' })).status).toBe(202);
    let seen: unknown;
    const ready = await waitFor(
      async () => {
        const rollout = await call(`/rollouts/${id}`);
        seen = rollout.body;
        return rollout.body.status === 'ready' ? rollout.body : undefined;
      },
      60_000,
      { last: () => seen, intervalMs: 200 },
    );

    const stepOf = (orgId: string) => [10, 50, 100].findIndex((percent) => bucket('chat', orgId) < percent * 100) + 1;
    const expected = [1, 2, 3].map((step) => {
      const reached = enterprise.filter((orgId) => stepOf(orgId) === step);
      const held = reached.filter((orgId) => personal.includes(orgId)).length;
      return { will_change: reached.length - held, already: 0, held_by_override: held };
    });
    const preview = ready.preview as { audience: number; steps: Record<string, number>[] };
    expect(preview.audience).toBe(enterprise.length);
    expect(
      preview.steps.map(({ will_change, already, held_by_override }) => ({ will_change, already, held_by_override })),
    ).toEqual(expected);

    const listed = async (query: string) => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await call(
          `/rollouts/${id}/orgs?limit=1000&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        found.push(...(page.body.orgs as { org_id: string }[]).map((org) => org.org_id));
        cursor = page.body.next_cursor as string | null;
      } while (cursor);
      return found;
    };
    expect(await listed('outcome=held')).toEqual([...personal].sort());
    const tenPercent = await listed('step=1');
    expect(tenPercent).toEqual(enterprise.filter((orgId) => stepOf(orgId) === 1).sort());
    const fiftyPercent = new Set([...tenPercent, ...(await listed('step=2'))]);
    for (const orgId of tenPercent) expect(fiftyPercent.has(orgId)).toBe(true);
    expect(fiftyPercent.size).toBe(enterprise.filter((orgId) => bucket('chat', orgId) < 5000).length);
  }, 120_000);
});
