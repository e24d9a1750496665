import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFlagStore } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import type { Caller } from '../../../lambdas/domain/caller.js';
import type { JobStore } from '../../../lambdas/domain/job-store.js';
import { getOrgFlags, provisionOrg, setOrgFlag } from '../../../lambdas/use-cases/flags.js';
import { runJobPage, startJob, ORGS_PER_PAGE } from '../../../lambdas/use-cases/jobs.js';
import {
  ADDED_FLAG,
  allOrgItems,
  freshTable,
  jobDeps,
  registryWith,
  runJob,
  runToEnd,
  seedOrgs,
} from '../../support/jobs.js';

const admin: Caller = { role: 'admin', id: 'admin-user-1' };
const before = registryWith();
const after = registryWith([ADDED_FLAG]);
const flipped = registryWith([ADDED_FLAG], (flag) =>
  flag.key === ADDED_FLAG.key ? { ...flag, default_enabled: !flag.default_enabled } : flag,
);

let client: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  ({ client, tableName } = await freshTable());
});
afterAll(() => client.destroy());

/** Counts the flag-row puts that DynamoDB accepted, so a test can tell a row written twice. */
function countAcceptedRowPuts(target: DynamoDBDocumentClient) {
  let accepted = 0;
  target.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const sk = (args.input as { Item?: { sk?: string | { S?: string } } }).Item?.sk;
      const key = typeof sk === 'string' ? sk : sk?.S;
      if (/^Put(Item)?Command$/.test(context.commandName ?? '') && key?.startsWith('FLAG#')) accepted++;
      return result;
    },
    { step: 'initialize', name: 'acceptedRowPuts', override: true },
  );
  return { count: () => accepted, reset: () => (accepted = 0) };
}

// The tests that seed hundreds of orgs and sync them take 20 to 30 s on a busy two-core machine.
describe('sync: every org gets an explicit row for each registry flag', () => {
  test('a flag added after the orgs were created gets a synced row holding the default of that moment; a second sync writes nothing', async () => {
    const orgIds = await seedOrgs(client, tableName, before, 250, 'added');
    const deps = await jobDeps(client, tableName, after);
    const store = new DynamoDbFlagStore(client, tableName);
    const unsynced = await getOrgFlags({ registry: after, store }, admin, orgIds[0] as string);
    expect(unsynced.body).toMatchObject({
      provisioned_registry_version: before.version,
      synced_registry_version: null,
    });
    expect(unsynced.body.flags.find((flag) => flag.key === ADDED_FLAG.key)).toMatchObject({
      is_default: true,
      source: 'registry_default',
    });

    const first = await runJob(deps, 'sync');

    expect(first).toMatchObject({ status: 'succeeded', pagesDone: 3, orgsTotal: 250, errors: [] });
    expect(first.counts).toMatchObject({
      orgs_seen: 250,
      orgs_changed: 250,
      orgs_skipped: 0,
      orgs_failed: 0,
      rows_missing: 250,
      rows_written: 250,
    });
    for (const orgId of [orgIds[0], orgIds[137], orgIds[249]] as string[]) {
      const { body } = await getOrgFlags({ registry: after, store }, admin, orgId);
      expect(body.flags.find((flag) => flag.key === ADDED_FLAG.key)).toMatchObject({
        is_default: false,
        source: 'synced',
        user_enabled: ADDED_FLAG.default_enabled,
        updated_by: `job:${first.id}`,
      });
      expect(body.synced_registry_version).toBe(after.version);
    }

    const second = await runJob(deps, 'sync');
    expect(second.counts).toMatchObject({ orgs_seen: 250, orgs_skipped: 250, rows_written: 0, rows_missing: 0 });

    const forced = await runJob(deps, 'sync', { force: true });
    expect(forced.counts).toMatchObject({
      orgs_seen: 250,
      orgs_skipped: 0,
      orgs_changed: 0,
      rows_written: 0,
      rows_missing: 0,
    });
  }, 120_000);

  test('flipping the default afterwards changes no existing org; an org created afterwards gets the new default', async () => {
    const { client: own, tableName: table } = await freshTable();
    try {
      const orgIds = await seedOrgs(own, table, before, 20, 'flip');
      await runJob(await jobDeps(own, table, after), 'sync');
      const itemsBefore = await allOrgItems(own, table, orgIds);

      const deps = await jobDeps(own, table, flipped);
      const resync = await runJob(deps, 'sync');
      expect(resync.counts).toMatchObject({ orgs_seen: 20, rows_written: 0, rows_missing: 0 });
      expect(await allOrgItems(own, table, orgIds)).toEqual(
        itemsBefore.map((item) =>
          item.sk === '#ORG'
            ? { ...item, synced_registry_version: flipped.version, synced_at: expect.any(String) }
            : item,
        ),
      );

      const store = new DynamoDbFlagStore(own, table);
      await provisionOrg({ registry: flipped, store }, 'flip-new', { actor: 'test', now: new Date() });
      const newOrg = await getOrgFlags({ registry: flipped, store }, admin, 'flip-new');
      const oldOrg = await getOrgFlags({ registry: flipped, store }, admin, orgIds[0] as string);
      expect(newOrg.body.flags.find((f) => f.key === ADDED_FLAG.key)?.user_enabled).toBe(!ADDED_FLAG.default_enabled);
      expect(oldOrg.body.flags.find((f) => f.key === ADDED_FLAG.key)?.user_enabled).toBe(ADDED_FLAG.default_enabled);
    } finally {
      own.destroy();
    }
  });

  test('a dry run counts the missing rows and writes nothing', async () => {
    const { client: own, tableName: table } = await freshTable();
    try {
      const orgIds = await seedOrgs(own, table, before, 30, 'dry');
      const itemsBefore = await allOrgItems(own, table, orgIds);
      const job = await runJob(await jobDeps(own, table, after), 'sync', { dry_run: true });
      expect(job.counts).toMatchObject({ orgs_seen: 30, orgs_changed: 30, rows_missing: 30, rows_written: 0 });
      expect(await allOrgItems(own, table, orgIds)).toEqual(itemsBefore);
    } finally {
      own.destroy();
    }
  });

  test('a sync running while an admin toggles the new flag never overwrites the admin', async () => {
    const { client: own, tableName: table } = await freshTable();
    try {
      const orgIds = await seedOrgs(own, table, before, 120, 'race');
      const deps = await jobDeps(own, table, after);
      const store = new DynamoDbFlagStore(own, table);
      const toggled = orgIds.filter((_, i) => i % 3 === 0);
      const adminValue = !ADDED_FLAG.default_enabled;

      const [job] = await Promise.all([
        runJob(deps, 'sync'),
        ...toggled.map((orgId, i) =>
          new Promise((resolve) => setTimeout(resolve, i % 20)).then(() =>
            setOrgFlag(
              { registry: after, store },
              admin,
              { org_id: orgId, key: ADDED_FLAG.key, enabled: adminValue },
              { requestId: `r-${i}`, now: new Date() },
            ),
          ),
        ),
      ]);

      expect(job?.status).toBe('succeeded');
      const items = await allOrgItems(own, table, orgIds);
      const rows = new Map(
        items.filter((item) => item.sk === `FLAG#${ADDED_FLAG.key}`).map((item) => [item.org_id, item]),
      );
      expect(rows.size).toBe(orgIds.length);
      for (const orgId of toggled) expect(rows.get(orgId)).toMatchObject({ enabled: adminValue, source: 'admin' });
      for (const orgId of orgIds.filter((id) => !toggled.includes(id)))
        expect(rows.get(orgId)).toMatchObject({ enabled: ADDED_FLAG.default_enabled, source: 'synced' });
    } finally {
      own.destroy();
    }
  }, 120_000);

  test('a sync stopped midway, even between a page and its checkpoint, finishes with every org synced and no row written twice', async () => {
    const { client: own, tableName: table } = await freshTable();
    try {
      const orgIds = await seedOrgs(own, table, before, 3 * ORGS_PER_PAGE + 17, 'crash');
      const puts = countAcceptedRowPuts(own);
      const deps = await jobDeps(own, table, after);
      const job = await startJob(deps, 'sync', {}, { actor: 'test', now: new Date() });
      await runJobPage(deps, job.id, new Date());

      // The process dies after the second page's writes, before its checkpoint.
      const crashingJobs: JobStore = {
        get: (id) => deps.jobs.get(id),
        list: (l, c) => deps.jobs.list(l, c),
        create: (j) => deps.jobs.create(j),
        save: async () => {
          throw new Error('killed');
        },
      };
      await expect(runJobPage({ ...deps, jobs: crashingJobs }, job.id, new Date())).rejects.toThrow('killed');
      const stopped = await deps.jobs.get(job.id);
      expect(stopped).toMatchObject({ status: 'running', pagesDone: 1 });
      expect(puts.count()).toBe(2 * ORGS_PER_PAGE);

      // Started again, it continues from its checkpoint: the second page is done again, writing nothing new.
      const finished = await runToEnd(deps, job.id);

      expect(finished.status).toBe('succeeded');
      expect(puts.count()).toBe(orgIds.length);
      const rows = (await allOrgItems(own, table, orgIds)).filter((item) => item.sk === `FLAG#${ADDED_FLAG.key}`);
      expect(rows).toHaveLength(orgIds.length);
      expect(finished.counts.orgs_seen).toBe(orgIds.length);
    } finally {
      own.destroy();
    }
  }, 120_000);
});
