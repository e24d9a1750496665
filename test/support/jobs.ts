import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFlagStore, flagItem, orgItem } from '../../lambdas/adapters/dynamodb-flag-store.js';
import { DynamoDbJobStore } from '../../lambdas/adapters/dynamodb-job-store.js';
import { loadOrCreateKeys } from '../../lib/local/auth.js';
import { LocalEventBus } from '../../lib/local/event-bus.js';
import { FileExportSink } from '../../lib/local/file-export-sink.js';
import { LocalJobEngine, type JobWorker } from '../../lib/local/job-engine.js';
import { freePort } from '../../lib/local/ports.js';
import { startLocalServer } from '../../lib/local/server.js';
import { JOB_MACHINE, LOCAL_JOB_STATE_MACHINE_ARN } from '../../lib/service/jobs.js';
import type { JobLauncher } from '../../lambdas/domain/job-store.js';
import type { Job, JobOptions, JobType } from '../../lambdas/domain/jobs.js';
import { provisionedRows } from '../../lambdas/domain/flags.js';
import type { AttributeValues } from '../../lambdas/domain/org-attributes.js';
import { DynamoDbRolloutStore } from '../../lambdas/adapters/dynamodb-rollout-store.js';
import { runJobPage, startJob, type JobDeps } from '../../lambdas/use-cases/jobs.js';
import { ensureTable } from '../../lib/local/dynamodb-local.js';
import { FLAGS } from '../../registry/flags.js';
import { buildRegistry, type FlagDefinition, type Registry } from '../../registry/index.js';
import { RETIRED } from '../../registry/retired.js';
import { patientDocumentClient, requiredEnv } from './table.js';

/**
 * A table of its own for a test file: jobs go over every org of a table, so they must not see
 * the orgs other test files create in the shared one.
 */
export async function freshTable(
  tableName = `jobs-test-${randomUUID()}`,
): Promise<{ client: DynamoDBDocumentClient; tableName: string }> {
  await ensureTable(requiredEnv('DYNAMODB_ENDPOINT'), tableName);
  return { client: patientDocumentClient(), tableName };
}

/** A flag row as the service writes it, of a key that left the registry (or never was in it). */
export const orphanRow = (orgId: string, key: string) => ({
  pk: `ORG#${orgId}`,
  sk: `FLAG#${key}`,
  type: 'flag',
  org_id: orgId,
  key,
  enabled: true,
  version: 1_700_000_000_000,
  source: 'admin',
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-02T00:00:00.000Z',
  updated_by: 'admin-user-1',
  enabled_at: '2025-01-02T00:00:00.000Z',
  gsi1pk: `FLAG#${key}`,
  gsi1sk: orgId,
});

/** A flag added to the registry after the orgs were created. */
export const ADDED_FLAG: FlagDefinition = {
  key: 'bulk-export',
  description: 'Export all messages of an org as CSV.',
  default_enabled: true,
  internal_only: false,
  owner: 'team-data',
  created: '2026-11-20',
  cleanup_after: '2027-03-31',
};

/** The project registry with extra flags appended, or one flag's definition changed. */
export function registryWith(
  extra: readonly FlagDefinition[] = [],
  change: (flag: FlagDefinition) => FlagDefinition = (flag) => flag,
): Registry {
  return buildRegistry([...FLAGS, ...extra].map(change), RETIRED);
}

/** A launcher that records starts; tests drive the pages themselves, as the engine would. */
export class RecordingLauncher implements JobLauncher {
  readonly starts: { jobId: string; runName: string }[] = [];
  async start(jobId: string, runName: string): Promise<void> {
    this.starts.push({ jobId, runName });
  }
}

/** Job dependencies on a table, with the given registry, a recording launcher and a file export sink. */
export async function jobDeps(
  client: DynamoDBDocumentClient,
  tableName: string,
  registry: Registry,
): Promise<JobDeps & { launcher: RecordingLauncher; exportDir: string }> {
  const exportDir = await mkdtemp(path.join(tmpdir(), 'off-exports-'));
  return {
    registry,
    fleet: new DynamoDbFlagStore(client, tableName),
    jobs: new DynamoDbJobStore(client, tableName),
    launcher: new RecordingLauncher(),
    exports: new FileExportSink(exportDir),
    rollouts: new DynamoDbRolloutStore(client, tableName),
    exportDir,
  };
}

/** Starts a job and runs its pages to the end, as the engine does; returns the finished job. */
export async function runJob(deps: JobDeps, type: JobType, options: JobOptions = {}): Promise<Job> {
  const job = await startJob(deps, type, options, { actor: 'test', now: new Date() });
  return runToEnd(deps, job.id);
}

export async function runToEnd(deps: JobDeps, jobId: string): Promise<Job> {
  for (;;) {
    const { done, job } = await runJobPage(deps, jobId, new Date());
    if (done) return job;
  }
}

/**
 * Provisions orgs quickly, writing exactly what provisioning writes (rows, then the org record,
 * with the attributes `attributesOf` gives each) with batch writes. Returns the org ids, in the
 * order the `orgs` index lists them.
 */
export async function seedOrgs(
  client: DynamoDBDocumentClient,
  tableName: string,
  registry: Registry,
  count: number,
  prefix = 'org',
  attributesOf?: (index: number) => AttributeValues,
): Promise<string[]> {
  const now = new Date();
  const orgIds = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(6, '0')}`);
  const items = orgIds.flatMap((orgId, index) => [
    ...provisionedRows(registry, orgId, now, 'test:seed').map(flagItem),
    orgItem({
      orgId,
      provisionedAt: now.toISOString(),
      registryVersion: registry.version,
      provisionedBy: 'test:seed',
      ...(attributesOf ? { attributes: attributesOf(index), attributesAt: now.toISOString() } : {}),
    }),
  ]);
  await putAll(client, tableName, items);
  return orgIds;
}

/** Batch-writes items, 25 at a time, retrying what DynamoDB leaves unprocessed. */
export async function putAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let requests = batches[next++]?.map((item) => ({ PutRequest: { Item: item } })) ?? [];
      while (requests.length > 0) {
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Every item of the table's org partitions, sorted by key, for before/after comparisons. */
export async function allOrgItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  orgIds: readonly string[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (const orgId of orgIds) {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ORG#${orgId}` },
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []));
  }
  return items.sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
}

/**
 * The local Step Functions endpoint the job handlers start their runs on, for tests that invoke
 * those handlers directly. Creating it picks a free port and points the handlers' configuration
 * at it (`STEP_FUNCTIONS_ENDPOINT`, `JOB_STATE_MACHINE_ARN`), so create it before loading them;
 * `start` then serves it with the local engine running `worker`.
 */
export async function jobEndpoint(): Promise<{
  start: (worker: JobWorker, options?: { retryBaseDelayMs?: number }) => Promise<LocalJobEngine>;
  stop: () => Promise<void>;
}> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'off-job-endpoint-'));
  const port = await freePort();
  Object.assign(process.env, {
    JOB_STATE_MACHINE_ARN: LOCAL_JOB_STATE_MACHINE_ARN,
    STEP_FUNCTIONS_ENDPOINT: `http://127.0.0.1:${port}`,
  });
  let engine: LocalJobEngine | undefined;
  let closeServer: (() => Promise<void>) | undefined;
  return {
    async start(worker, options = {}) {
      engine = new LocalJobEngine({
        stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN,
        machine: JOB_MACHINE,
        worker,
        ...options,
      });
      const server = await startLocalServer({
        port,
        routes: [],
        handlers: {},
        keys: await loadOrCreateKeys(dataDir),
        bus: new LocalEventBus({ rules: [], targets: {}, deadLetterFile: path.join(dataDir, 'dead-letters.jsonl') }),
        jobs: engine,
      });
      closeServer = server.close;
      return engine;
    },
    async stop() {
      await engine?.stop();
      await closeServer?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
