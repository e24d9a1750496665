import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { runFlagsCommand, type Output } from '../../../lib/flags-cli/run.js';
import { requiredEnv } from '../../support/table.js';
import {
  allOrgItems,
  freshTable,
  jobDeps,
  orphanRow,
  putAll,
  registryWith,
  runJob,
  seedOrgs,
} from '../../support/jobs.js';

/*
 * `npm run flags:orphans -- --import FILE` against DynamoDB Local, as an operator runs it: only
 * rows of retired or unknown keys, each exactly as this service writes a flag row, and the whole
 * file refused, with nothing written, when any line is not.
 */

const registry = registryWith();
let client: DynamoDBDocumentClient;
let tableName: string;
let dir: string;

beforeAll(async () => {
  ({ client, tableName } = await freshTable());
  dir = await mkdtemp(path.join(tmpdir(), 'off-orphan-import-'));
});
afterAll(async () => {
  client.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function importFile(name: string, lines: readonly string[]) {
  const file = path.join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  const printed: string[] = [];
  const out: Output = { interactive: false, line: (text) => printed.push(text), progress: () => undefined };
  try {
    const status = await runFlagsCommand(
      { kind: 'import', path: file, table: tableName, endpoint: requiredEnv('DYNAMODB_ENDPOINT') },
      {},
      out,
    );
    return { status, printed, error: undefined };
  } catch (error) {
    return { status: 1, printed, error: error instanceof Error ? error.message : String(error) };
  }
}

const line = (item: object) => JSON.stringify(item);

describe('importing an orphan export', () => {
  test('a good file restores exactly the exported rows, with a new version and the import as their writer', async () => {
    const orgIds = await seedOrgs(client, tableName, registry, 3, 'good');
    const withEmail = (row: ReturnType<typeof orphanRow>) => ({ ...row, updated_by_email: 'ada@example.com' });
    const orphans = [
      withEmail(orphanRow(orgIds[0]!, 'legacy-editor')),
      withEmail(orphanRow(orgIds[2]!, 'never-registered')),
      { ...orphanRow(orgIds[1]!, 'legacy-editor'), enabled: false, enabled_at: undefined } as never,
    ];
    await putAll(
      client,
      tableName,
      orphans.map((item) => JSON.parse(JSON.stringify(item)) as Record<string, unknown>),
    );
    const deps = await jobDeps(client, tableName, registry);
    const cleanup = await runJob(deps, 'orphan-cleanup', { dry_run: false });
    expect(cleanup.counts).toMatchObject({ rows_exported: 3, rows_deleted: 3 });
    const exportFile = cleanup.result?.type === 'orphan-cleanup' ? (cleanup.result.export_location as string) : '';
    const exported = (await readFile(exportFile, 'utf8')).trim().split('\n');
    expect(exported).toHaveLength(3);

    const before = Date.now();
    const result = await importFile('orphans-good.jsonl', exported);
    const after = Date.now();

    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.printed.join('\n')).toContain('3 row(s) restored, 0 already present');
    const restored = (await allOrgItems(client, tableName, orgIds)).filter(
      (item) => item.key === 'legacy-editor' || item.key === 'never-registered',
    );
    const expected = exported
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .map(({ version: _v, updated_at: _at, updated_by: _by, updated_by_email: _mail, ...kept }) => kept);
    const byKey = (item: Record<string, unknown>) => `${item.pk}${item.sk}`;
    expect(
      restored
        .map(({ version: _v, updated_at: _at, updated_by: _by, ...kept }) => kept)
        .sort((a, b) => byKey(a).localeCompare(byKey(b))),
    ).toEqual(expected.sort((a, b) => byKey(a).localeCompare(byKey(b))));
    for (const item of restored) {
      expect(item.updated_by).toBe('import:orphans-good.jsonl');
      expect(item.version).toBeGreaterThanOrEqual(before);
      expect(item.version).toBeLessThanOrEqual(after);
      expect(Date.parse(String(item.updated_at))).toBe(item.version);
      expect(item).not.toHaveProperty('updated_by_email');
    }

    const again = await importFile('orphans-good.jsonl', exported);
    expect(again.printed.join('\n')).toContain('0 row(s) restored, 3 already present');
  });

  test('a line of a key in the registry refuses the whole file; nothing is written', async () => {
    const [orgId] = await seedOrgs(client, tableName, registry, 1, 'registry-key');
    const itemsBefore = await allOrgItems(client, tableName, [orgId!]);
    const chat = itemsBefore.find((item) => item.key === 'chat')!;
    await client.send(
      new (await import('@aws-sdk/lib-dynamodb')).DeleteCommand({
        TableName: tableName,
        Key: { pk: chat.pk, sk: chat.sk },
      }),
    );

    const result = await importFile('registry-key.jsonl', [
      line(orphanRow(orgId!, 'legacy-editor')),
      line({ ...chat, enabled: !chat.enabled }),
    ]);

    expect(result.status).toBe(1);
    expect(result.error).toMatch(/registry-key\.jsonl:2\b.*chat/);
    expect(await allOrgItems(client, tableName, [orgId!])).toEqual(itemsBefore.filter((item) => item !== chat));
  });

  test.each([
    ['an attribute this service does not write', (item: Record<string, unknown>) => ({ ...item, note: 'x' })],
    ["another flag's index partition", (item: Record<string, unknown>) => ({ ...item, gsi1pk: 'FLAG#chat' })],
    ["another org's index position", (item: Record<string, unknown>) => ({ ...item, gsi1sk: 'someone-else' })],
    ["a key of another org's partition", (item: Record<string, unknown>) => ({ ...item, pk: 'ORG#someone-else' })],
    ['a version that is not a number', (item: Record<string, unknown>) => ({ ...item, version: 'latest' })],
    ['a source no row has', (item: Record<string, unknown>) => ({ ...item, source: 'rollout-9' })],
  ])('a line with %s refuses the whole file; nothing is written', async (_what, forge) => {
    const [orgId] = await seedOrgs(client, tableName, registry, 1, 'forged');
    const itemsBefore = await allOrgItems(client, tableName, [orgId!]);

    const result = await importFile('forged.jsonl', [
      line(orphanRow(orgId!, 'legacy-editor')),
      line(forge(orphanRow(orgId!, 'never-registered'))),
    ]);

    expect(result.status).toBe(1);
    expect(result.error).toMatch(/forged\.jsonl:2\b/);
    expect(await allOrgItems(client, tableName, [orgId!])).toEqual(itemsBefore);
  });

  test.each([
    ['not JSON', '{"pk": "ORG#'],
    ['a row with a wrong type', (orgId: string) => line({ ...orphanRow(orgId, 'old-b'), enabled: 'yes' })],
    ['not a flag row', (orgId: string) => line({ pk: `ORG#${orgId}`, sk: '#ORG', org_id: orgId })],
  ])('a malformed line in the middle (%s) refuses the whole file; nothing is written', async (_what, bad) => {
    const [orgId] = await seedOrgs(client, tableName, registry, 1, 'malformed');
    const itemsBefore = await allOrgItems(client, tableName, [orgId!]);

    const result = await importFile('malformed.jsonl', [
      line(orphanRow(orgId!, 'old-a')),
      typeof bad === 'string' ? bad : bad(orgId!),
      line(orphanRow(orgId!, 'old-c')),
    ]);

    expect(result.status).toBe(1);
    expect(result.error).toMatch(/malformed\.jsonl:2\b/);
    expect(await allOrgItems(client, tableName, [orgId!])).toEqual(itemsBefore);
  });
});
