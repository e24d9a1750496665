import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFlagStore } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import { exportedFlagRows } from '../../../lambdas/adapters/exported-flag-rows.js';
import { importOrphanExport } from '../../../lambdas/use-cases/jobs.js';
import {
  ADDED_FLAG,
  allOrgItems,
  freshTable,
  jobDeps,
  orphanRow,
  putAll,
  registryWith,
  runJob,
  seedOrgs,
} from '../../support/jobs.js';

const registry = registryWith([ADDED_FLAG]);

let client: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  ({ client, tableName } = await freshTable());
});
afterAll(() => client.destroy());

describe('orphan cleanup: dry run first, export before delete, import restores', () => {
  test('the dry run changes nothing; --apply removes exactly the orphan rows after exporting them; importing the export brings back the same items', async () => {
    const orgIds = await seedOrgs(client, tableName, registry, 130, 'orph');
    const orphans = [
      ...orgIds.slice(0, 7).map((orgId) => orphanRow(orgId, 'legacy-editor')),
      ...orgIds.slice(100, 103).map((orgId) => orphanRow(orgId, 'never-registered')),
    ];
    await putAll(client, tableName, orphans);
    const deps = await jobDeps(client, tableName, registry);
    const itemsBefore = await allOrgItems(client, tableName, orgIds);

    const dryRun = await runJob(deps, 'orphan-cleanup');

    expect(dryRun.counts).toMatchObject({
      orgs_seen: 130,
      orgs_changed: 10,
      orphan_rows: 10,
      rows_exported: 0,
      rows_deleted: 0,
    });
    expect(dryRun.result).toEqual({
      type: 'orphan-cleanup',
      dry_run: true,
      orphans_by_key: { 'legacy-editor': 7, 'never-registered': 3 },
      export_location: null,
    });
    expect(await allOrgItems(client, tableName, orgIds)).toEqual(itemsBefore);

    const applied = await runJob(deps, 'orphan-cleanup', { dry_run: false });

    expect(applied.counts).toMatchObject({ orphan_rows: 10, rows_exported: 10, rows_deleted: 10, orgs_failed: 0 });
    const sortKey = (item: Record<string, unknown>) => `${item.pk}${item.sk}`;
    const isOrphan = (item: Record<string, unknown>) => orphans.some((o) => sortKey(o) === sortKey(item));
    expect(await allOrgItems(client, tableName, orgIds)).toEqual(itemsBefore.filter((item) => !isOrphan(item)));
    const location = applied.result?.type === 'orphan-cleanup' ? applied.result.export_location : null;
    expect(location).toEqual(expect.stringContaining(applied.id));
    const exported = (await readFile(location as string, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exported.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      orphans.sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );

    const importDeps = { registry, fleet: new DynamoDbFlagStore(client, tableName), exported: exportedFlagRows };
    const lines = exported.map((item, i) => ({ where: `export:${i + 1}`, file: 'export', text: JSON.stringify(item) }));
    expect(await importOrphanExport(importDeps, lines, { now: new Date() })).toEqual({ restored: 10, present: 0 });
    // Restored as exported, but for what the import records as its own write.
    const unrecorded = ({ version: _v, updated_at: _at, updated_by: _by, ...rest }: Record<string, unknown>) => rest;
    expect((await allOrgItems(client, tableName, orgIds)).map(unrecorded)).toEqual(itemsBefore.map(unrecorded));
    expect(await importOrphanExport(importDeps, lines, { now: new Date() })).toEqual({ restored: 0, present: 10 });

    const again = await runJob(deps, 'orphan-cleanup');
    expect(again.counts.orphan_rows).toBe(10);
  }, 120_000);

  test('an orphan row that changed between export and delete is not deleted', async () => {
    const { client: own, tableName: table } = await freshTable();
    try {
      const [orgId] = await seedOrgs(own, table, registry, 1, 'moved');
      await putAll(own, table, [orphanRow(orgId as string, 'legacy-editor')]);
      const store = new DynamoDbFlagStore(own, table);
      expect(await store.deleteRowIfUnchanged(orgId as string, 'legacy-editor', 1)).toBe(false);
      expect(
        (await allOrgItems(own, table, [orgId as string])).filter((item) => item.key === 'legacy-editor'),
      ).toHaveLength(1);
      expect(await store.deleteRowIfUnchanged(orgId as string, 'legacy-editor', 1_700_000_000_000)).toBe(true);
    } finally {
      own.destroy();
    }
  });
});

describe('the stale-flag report job', () => {
  test('on data made for the test, names the stale flags and the orgs that hold one back', async () => {
    const { client: own, tableName: table } = await freshTable();
    try {
      const base = registryWith([ADDED_FLAG]);
      const orgIds = await seedOrgs(own, table, base, 12, 'rep');
      const longAgo = '2026-01-01T00:00:00.000Z';
      const set = (orgId: string, key: string, enabled: boolean, enabledAt?: string) => ({
        ...orphanRow(orgId, key),
        enabled,
        source: 'admin',
        ...(enabledAt ? { enabled_at: enabledAt } : { enabled_at: undefined }),
      });
      const clean = (item: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));
      await putAll(own, table, [
        // composer: on everywhere (provisioned on), turned on long ago everywhere.
        ...orgIds.map((orgId) => clean(set(orgId, 'composer', true, longAgo))),
        // chat: on for 10 orgs, held back by the 2 that stay off.
        ...orgIds.slice(0, 10).map((orgId) => clean(set(orgId, 'chat', true, '2026-11-01T00:00:00.000Z'))),
        // bulk-export: on for every org (its default), turned on long ago.
        ...orgIds.map((orgId) => clean(set(orgId, ADDED_FLAG.key, true, longAgo))),
        clean(orphanRow(orgIds[3] as string, 'legacy-editor')),
      ]);
      const pastDue = registryWith([ADDED_FLAG], (flag) =>
        flag.key === 'composer-dashboard' ? { ...flag, cleanup_after: '2026-06-30' } : flag,
      );

      const job = await runJob(await jobDeps(own, table, pastDue), 'report', { stale_days: 30 });

      expect(job.status).toBe('succeeded');
      const report = job.result?.type === 'report' ? job.result.report : undefined;
      expect(report).toMatchObject({
        orgs: 12,
        includes_orgs: true,
        past_due: ['composer-dashboard'],
        ready_to_remove: [ADDED_FLAG.key],
        off_everywhere: ['composer-dashboard'],
        held_back: ['chat'],
        orphans_by_key: { 'legacy-editor': 1 },
      });
      const chat = report?.flags.find((flag) => flag.key === 'chat');
      expect(chat).toMatchObject({
        orgs_on: 10,
        orgs_off: 2,
        state: 'mixed',
        held_back_by: { value: false, orgs_count: 2, org_ids: orgIds.slice(10) },
      });
      // composer is permanent: on everywhere since long ago, yet never "ready to remove".
      expect(report?.flags.find((flag) => flag.key === 'composer')).toMatchObject({
        state: 'on_everywhere',
        permanent: true,
        findings: [],
      });
    } finally {
      own.destroy();
    }
  });
});
