import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Caller } from '../../../lambdas/domain/caller.js';
import type { RolloutDefinition } from '../../../lambdas/domain/rollouts.js';
import { setOrgFlag } from '../../../lambdas/use-cases/flags.js';
import type { JobDeps } from '../../../lambdas/use-cases/jobs.js';
import {
  createRollout,
  getRollout,
  previewRollout,
  rolloutOrgs,
  updateRollout,
  type RolloutView,
} from '../../../lambdas/use-cases/rollouts.js';
import { DynamoDbFlagStore } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import { loadRegistry } from '../../../registry/index.js';
import { freshTable, jobDeps, runToEnd, seedOrgs } from '../../support/jobs.js';

const registry = loadRegistry();
const admin: Caller = { role: 'admin', id: 'admin-user-1' };
const ORGS = 400;
const PLANS = ['free', 'pro', 'enterprise'];
const REGIONS = ['us', 'eu', 'ap'];

let client: DynamoDBDocumentClient;
let deps: JobDeps;
let orgIds: string[];
/** The enterprise orgs a person set `chat` for: two to the other value, one to the rollout's. */
let personal: string[];

/** The bucket formula of the design, written out independently of the service's code. */
const bucket = (key: string, orgId: string) =>
  parseInt(createHash('sha256').update(`${key}:${orgId}`).digest('hex').slice(0, 8), 16) % 10000;

const planOf = (index: number) => PLANS[(index * 7) % 3]!;
const regionOf = (index: number) => REGIONS[(index * 5 + 1) % 3]!;

const definition = (overrides: Partial<RolloutDefinition> = {}): RolloutDefinition => ({
  key: 'chat',
  enabled: true,
  audience: { attributes: { plan: ['enterprise'] } },
  steps: [{ percent: 10 }, { percent: 50 }, { percent: 100 }],
  overrides: 'keep',
  continuous: false,
  on_leave: 'keep',
  ...overrides,
});

beforeAll(async () => {
  let tableName: string;
  ({ client, tableName } = await freshTable());
  deps = await jobDeps(client, tableName, registry);
  orgIds = await seedOrgs(client, tableName, registry, ORGS, 'ro', (index) => ({
    plan: planOf(index),
    region: regionOf(index),
  }));
  const enterprise = orgIds.filter((_, index) => planOf(index) === 'enterprise');
  personal = [enterprise[0]!, enterprise[1]!, enterprise[2]!];
  const flags = { registry, store: new DynamoDbFlagStore(client, tableName) };
  // chat is off by default: a person turns it on for all three, then off again for two.
  const set = (orgId: string, enabled: boolean) =>
    setOrgFlag(flags, admin, { org_id: orgId, key: 'chat', enabled }, { requestId: `seed-${orgId}`, now: new Date() });
  for (const orgId of personal) await set(orgId, true);
  for (const orgId of personal.slice(0, 2)) await set(orgId, false);
}, 120_000);
afterAll(() => client.destroy());

/** Previews a rollout and runs its job to the end, as the engine does. */
async function previewed(rolloutId: string): Promise<RolloutView> {
  const started = await previewRollout(deps, admin, rolloutId, { now: new Date() });
  expect(started.status).toBe('previewing');
  await runToEnd(deps, started.preview!.job_id);
  return getRollout(deps, rolloutId);
}

/** Every org of the preview, following the cursor, optionally of one step and outcome. */
async function listed(rolloutId: string, filter: { step?: number; outcome?: 'will_change' | 'already' | 'held' } = {}) {
  const found: { org_id: string; step: number; outcome: string }[] = [];
  let after: string | undefined;
  do {
    const page = await rolloutOrgs(deps, rolloutId, { ...filter, ...(after ? { after } : {}), limit: 37 });
    found.push(...page.items);
    after = page.next;
  } while (after);
  return found;
}

describe('the preview of a rollout', () => {
  test('counts per step exactly what the bucket formula gives, holds the orgs a person set, and lists the exact orgs', async () => {
    const created = await createRollout(deps, admin, definition(), { now: new Date() });
    expect(created).toMatchObject({ status: 'draft', preview: null, created_by: admin.id });

    const rollout = await previewed(created.rollout_id);

    const enterprise = orgIds.filter((_, index) => planOf(index) === 'enterprise');
    const stepOf = (orgId: string) => {
      const value = bucket('chat', orgId);
      return value < 1000 ? 1 : value < 5000 ? 2 : 3;
    };
    const expected = [1, 2, 3].map((step) => {
      const reached = enterprise.filter((orgId) => stepOf(orgId) === step);
      const held = reached.filter((orgId) => personal.includes(orgId)).length;
      return {
        step,
        percent: [10, 50, 100][step - 1],
        will_change: reached.length - held,
        already: 0,
        held_by_override: held,
      };
    });
    expect(rollout.status).toBe('ready');
    expect(rollout.preview).toMatchObject({ status: 'succeeded', current: true, audience: enterprise.length });
    expect(rollout.preview!.steps).toEqual(expected);
    expect(rollout.preview!.by_attribute.plan).toEqual({
      enterprise: { will_change: enterprise.length - 3, already: 0, held_by_override: 3 },
    });
    const byRegion = rollout.preview!.by_attribute.region!;
    expect(Object.values(byRegion).reduce((sum, counts) => sum + counts.will_change + counts.held_by_override, 0)).toBe(
      enterprise.length,
    );

    const all = await listed(created.rollout_id);
    expect(all.map((org) => org.org_id)).toEqual([...enterprise].sort());
    expect((await listed(created.rollout_id, { outcome: 'held' })).map((org) => org.org_id)).toEqual(
      [...personal].sort(),
    );
    const first = await listed(created.rollout_id, { step: 1 });
    expect(first.map((org) => org.org_id)).toEqual(enterprise.filter((orgId) => stepOf(orgId) === 1).sort());
    // The 10 % set is inside the 50 % set: an org reached at step 1 has a bucket under 5,000 too.
    const atFifty = new Set(enterprise.filter((orgId) => bucket('chat', orgId) < 5000));
    for (const org of first) expect(atFifty.has(org.org_id)).toBe(true);
  });

  test('an edit makes the preview stale and the rollout a draft again; a preview of the new definition is current', async () => {
    const created = await createRollout(deps, admin, definition({ steps: [{ percent: 100 }] }), { now: new Date() });
    await previewed(created.rollout_id);

    const edited = await updateRollout(deps, admin, created.rollout_id, { overrides: 'include' }, { now: new Date() });
    expect(edited.status).toBe('draft');
    expect(edited.preview).toMatchObject({ current: false });

    const again = await previewed(created.rollout_id);
    expect(again.status).toBe('ready');
    const enterprise = orgIds.filter((_, index) => planOf(index) === 'enterprise').length;
    // Including overrides: the two set to off change, the one set to on is already there.
    expect(again.preview!.steps).toEqual([
      { step: 1, percent: 100, will_change: enterprise - 1, already: 1, held_by_override: 0 },
    ]);
  });

  test('an audience by id, date and exclusion; a rollout to a value most orgs hold already', async () => {
    const named = orgIds.slice(0, 30);
    const created = await createRollout(
      deps,
      admin,
      definition({
        enabled: false,
        audience: { org_ids: named, exclude_org_ids: [named[0]!], created_after: '2020-01-01T00:00:00Z' },
        steps: [{ percent: 100 }],
      }),
      { now: new Date() },
    );
    const rollout = await previewed(created.rollout_id);
    const held = named.slice(1).filter((orgId) => personal.includes(orgId)).length;
    expect(rollout.preview).toMatchObject({ audience: 29 });
    expect(rollout.preview!.steps).toEqual([
      { step: 1, percent: 100, will_change: 0, already: 29 - held, held_by_override: held },
    ]);

    const none = await createRollout(
      deps,
      admin,
      definition({ audience: { created_before: '2020-01-01T00:00:00Z' }, steps: [{ percent: 100 }] }),
      { now: new Date() },
    );
    expect((await previewed(none.rollout_id)).preview).toMatchObject({
      audience: 0,
      steps: [expect.objectContaining({ will_change: 0 })],
    });
  });
});
