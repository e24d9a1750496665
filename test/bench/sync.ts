import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { DynamoDbFlagStore } from '../../lambdas/adapters/dynamodb-flag-store.js';
import type { JobView } from '../../lambdas/domain/jobs.js';
import { missingRows } from '../../lambdas/domain/flags.js';
import { ORG_CONCURRENCY, ORGS_PER_PAGE } from '../../lambdas/use-cases/jobs.js';
import { ensureTable, localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import type { LocalStack } from '../../lib/local/stack.js';
import { FLAGS } from '../../registry/flags.js';
import { buildRegistry, loadRegistry } from '../../registry/index.js';
import { RETIRED } from '../../registry/retired.js';
import { seedOrgs } from '../support/jobs.js';
import type { HttpClient } from './http-client.js';
import type { CallCounter } from './load.js';

/** One measured pass over all orgs. */
export interface SyncPass {
  readonly name: string;
  readonly orgs: number;
  readonly seconds: number;
  readonly rowsWritten: number;
  /** DynamoDB commands per org, by command name. */
  readonly callsPerOrg: Readonly<Record<string, number>>;
}

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([name, count]) => [name, count - (before[name] ?? 0)])
      .filter(([, count]) => (count as number) > 0),
  );
const perOrg = (calls: Record<string, number>, orgs: number) =>
  Object.fromEntries(Object.entries(calls).map(([name, count]) => [name, count / orgs]));

/**
 * Sync over `count` orgs that lack the registry's last flag (as after a deploy that added it):
 * the sync job through the local stack's API, twice, beside a baseline in the same DynamoDB
 * Local: the least work any sync must do, on a second table seeded the same way (page through
 * the `orgs` index, one conditional put of the missing row per org, same concurrency).
 */
export async function benchSync(
  stack: LocalStack,
  http: HttpClient,
  handlerCalls: CallCounter,
  count: number,
  log: (line: string) => void,
): Promise<SyncPass[]> {
  const registry = loadRegistry();
  const withoutLast = buildRegistry(FLAGS.slice(0, -1), RETIRED);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoDbClientConfig(stack.dynamoDbEndpoint)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const baselineTable = `${stack.settings.tableName}-baseline`;
  try {
    await ensureTable(stack.dynamoDbEndpoint, baselineTable);
    log(
      `seeding ${count} orgs twice (the service's table and the baseline's), without the flag '${FLAGS.at(-1)?.key}'...`,
    );
    await seedOrgs(client, stack.settings.tableName, withoutLast, count, 'sync-bench');
    await seedOrgs(client, baselineTable, withoutLast, count, 'sync-bench');

    const syncPass = (name: string) =>
      timed(name, count, handlerCalls, async () => {
        const { job, polls } = await runSync(http, log);
        return { rows: job.counts.rows_written, polls };
      });
    // The baseline runs between the two syncs, so that neither side gets the engine's state right
    // after the seeding (DynamoDB Local is slow for a while after a large batch load).
    const first = await syncPass('sync job, first run');
    const baselineCalls = countingClient(stack.dynamoDbEndpoint);
    const baseline = await timed(
      'baseline: page + 1 conditional put per org',
      count,
      baselineCalls.counter,
      async () => {
        const store = new DynamoDbFlagStore(baselineCalls.client, baselineTable);
        let written = 0;
        let cursor: Record<string, unknown> | undefined;
        do {
          const page = await store.listOrgs(ORGS_PER_PAGE, cursor);
          const counts = await pMap(
            page.orgs,
            (org) => store.putRowsIfAbsent(missingRows(registry, [], org.orgId, new Date(), 'bench').slice(-1)),
            { concurrency: ORG_CONCURRENCY },
          );
          written += counts.reduce((a, b) => a + b, 0);
          cursor = page.next as Record<string, unknown> | undefined;
        } while (cursor);
        return { rows: written };
      },
    );
    baselineCalls.client.destroy();
    const second = await syncPass('sync job, second run');
    const preview = await timed('rollout preview (every org, 2 steps)', count, handlerCalls, async () => {
      const { job, polls } = await runPreview(http, log);
      return { rows: job.counts.orgs_changed, polls };
    });
    const passes = [baseline, first, second, preview];
    return passes;
  } finally {
    client.destroy();
  }
}

function countingClient(endpoint: string) {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoDbClientConfig(endpoint)));
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts[context.commandName ?? 'unknown'] = (counts[context.commandName ?? 'unknown'] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchSyncCounter' },
  );
  return { client, counter: { snapshot: () => ({ ...counts }) } };
}

/** Runs one pass; `work` returns the rows written and the calls to leave out (the bench's own polling). */
async function timed(
  name: string,
  orgs: number,
  counter: CallCounter,
  work: () => Promise<{ rows: number; polls?: number }>,
): Promise<SyncPass> {
  const before = counter.snapshot();
  const started = performance.now();
  const { rows, polls = 0 } = await work();
  const seconds = (performance.now() - started) / 1000;
  const calls = diff(counter.snapshot(), before);
  if (calls.GetItemCommand !== undefined) calls.GetItemCommand -= polls;
  return { name, orgs, seconds, rowsWritten: rows, callsPerOrg: perOrg(calls, orgs) };
}

/** Starts a sync over HTTP and waits for it; counts its polls (one GetItem each). */
async function runSync(http: HttpClient, log: (line: string) => void): Promise<{ job: JobView; polls: number }> {
  return finished(http, await http.json<JobView>('POST', '/jobs/sync', {}), 0, log);
}

/**
 * Drafts a rollout of the registry's first flag to every org (50 %, then 100 %) and previews it
 * over HTTP, waiting for the preview's job; counts its reads of the job (one GetItem each). `rows
 * written` of the pass is the orgs the preview says will change.
 */
async function runPreview(http: HttpClient, log: (line: string) => void): Promise<{ job: JobView; polls: number }> {
  const [flag] = FLAGS;
  const rollout = await http.json<{ rollout_id: string }>('POST', '/rollouts', {
    key: flag?.key,
    enabled: !flag?.default_enabled,
    steps: [{ percent: 50 }, { percent: 100 }],
  });
  const started = await http.json<{ preview: { job_id: string } }>('POST', `/rollouts/${rollout.rollout_id}/preview`);
  return finished(http, await http.json<JobView>('GET', `/jobs/${started.preview.job_id}`), 1, log);
}

/** Polls the job until it is over, printing progress now and then; fails unless it succeeded. */
async function finished(
  http: HttpClient,
  started: JobView,
  polled: number,
  log: (line: string) => void,
): Promise<{ job: JobView; polls: number }> {
  let job = started;
  let lastLog = 0;
  let polls = polled;
  while (job.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 200));
    job = await http.json<JobView>('GET', `/jobs/${job.job_id}`);
    polls++;
    if (Date.now() - lastLog > 2000) {
      lastLog = Date.now();
      log(`  ${job.job_id}: ${job.progress.orgs_done}/${job.progress.orgs_total ?? '?'} orgs`);
    }
  }
  if (job.status !== 'succeeded') throw new Error(`${job.type} ${job.job_id} ${job.status}: ${job.failure}`);
  return { job, polls };
}

/** The passes as a table, and each sync pass against the baseline. */
export function syncLines(passes: readonly SyncPass[]): string[] {
  const [baseline] = passes;
  const lines = passes.map((pass) => {
    const calls = Object.entries(pass.callsPerOrg)
      .map(([name, n]) => `${name.replace(/Command$/, '')} ${n.toFixed(3)}`)
      .join(', ');
    return `${pass.name.padEnd(44)} ${String(pass.orgs).padStart(6)} orgs  ${(pass.orgs / pass.seconds).toFixed(0).padStart(6)} orgs/s  ${pass.seconds.toFixed(1).padStart(6)} s  rows written ${String(pass.rowsWritten).padStart(6)}  calls/org: ${calls || 'none'}`;
  });
  if (baseline) {
    for (const pass of passes.slice(1))
      lines.push(
        `${pass.name} vs baseline: orgs/s ${(pass.orgs / pass.seconds / (baseline.orgs / baseline.seconds)).toFixed(2)}x`,
      );
  }
  return lines;
}
