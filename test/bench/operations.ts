import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  type DynamoDBDocumentClient as DocumentClient,
} from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { DynamoDbFlagStore } from '../../lambdas/adapters/dynamodb-flag-store.js';
import { BULK_CONCURRENCY } from '../../lambdas/use-cases/flags.js';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import type { LocalStack } from '../../lib/local/stack.js';
import { loadRegistry } from '../../registry/index.js';
import { seedOrgs } from '../support/jobs.js';
import { assertOk, type HttpClient } from './http-client.js';
import { table } from './report.js';

/** Latencies of one measured operation, in ms. */
export interface Sample {
  readonly name: string;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** What the operations section measured, each beside its baseline. */
export interface OperationsResult {
  readonly smallOrgs: number;
  readonly largeOrgs: number;
  readonly pairs: readonly { readonly subject: Sample; readonly baseline: Sample }[];
}

const PAGE = 50;
const HISTORY_ENTRIES = 200;
const BULK_ORGS = 100;

/** Times `runs` sequential calls after a few unmeasured ones (DynamoDB Local is slow for a while after a batch load). */
export async function sample(
  name: string,
  runs: number,
  operation: (run: number) => Promise<void>,
  warmUpRuns = Math.min(5, runs),
): Promise<Sample> {
  for (let run = 0; run < warmUpRuns; run++) await operation(runs + run);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await operation(run);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { name, runs, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Cursors of the first `pages` pages of the by-flag view (null for the first page). */
async function pageCursors(http: HttpClient, key: string, pages: number): Promise<(string | null)[]> {
  const cursors: (string | null)[] = [null];
  while (cursors.length < pages) {
    const last = cursors.at(-1);
    const body = await http.json<{ next_cursor: string | null }>('GET', byFlagPath(key, last ?? null));
    if (!body.next_cursor) break;
    cursors.push(body.next_cursor);
  }
  return cursors;
}

const byFlagPath = (key: string, cursor: string | null) =>
  `/org-feature-flags/by-flag/${key}?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;

/** One Query of `PAGE` rows of the by-flag index: the least a page of the view must read. */
const bareByFlagQuery = (client: DocumentClient, tableName: string, key: string) => () =>
  client
    .send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'by-flag',
        KeyConditionExpression: 'gsi1pk = :k',
        ExpressionAttributeValues: { ':k': `FLAG#${key}` },
        Limit: PAGE,
      }),
    )
    .then(() => undefined);

async function byFlagPages(
  http: HttpClient,
  bare: DocumentClient,
  tableName: string,
  key: string,
  label: string,
  runs: number,
) {
  const cursors = await pageCursors(http, key, 20);
  const subject = await sample(`GET by-flag page of ${PAGE}, ${label}`, runs, async (run) => {
    assertOk(await http.send('GET', byFlagPath(key, cursors[run % cursors.length] ?? null)), 'by-flag page');
  });
  const baseline = await sample(
    `bare Query of ${PAGE} by-flag rows, ${label}`,
    runs,
    bareByFlagQuery(bare, tableName, key),
  );
  return { subject, baseline };
}

/**
 * The operations routes on the local stack, each beside the least DynamoDB work it must do, in
 * the same run: a by-flag page at about 100 orgs and again after seeding to about 10,000 (the
 * page must not grow with the fleet), a history page of an org with 200 changes, and a bulk
 * change of 100 orgs against the same 100 transactions sent straight to the store.
 */
export async function benchOperations(
  stack: LocalStack,
  http: HttpClient,
  largeOrgs: number,
  log: (line: string) => void,
): Promise<OperationsResult> {
  const registry = loadRegistry();
  const key = registry.flags.find((flag) => !flag.internal_only)?.key ?? registry.flags[0]!.key;
  const { tableName } = stack.settings;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoDbClientConfig(stack.dynamoDbEndpoint)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const runs = 40;
  try {
    log(`seeding ${BULK_ORGS} orgs...`);
    const orgIds = await seedOrgs(client, tableName, registry, BULK_ORGS, 'ops-small');
    const small = await byFlagPages(http, client, tableName, key, `~${BULK_ORGS} orgs`, runs);

    log(`writing ${HISTORY_ENTRIES} changes to one org...`);
    const historyOrg = orgIds[0]!;
    for (let i = 0; i < HISTORY_ENTRIES; i++)
      assertOk(
        await http.send('POST', '/org-feature-flags', { org_id: historyOrg, key, enabled: i % 2 === 0 }),
        'history write',
      );
    const history = {
      subject: await sample(`GET history page of ${PAGE}`, runs, async () => {
        assertOk(await http.send('GET', `/org-feature-flags/${historyOrg}/history?limit=${PAGE}`), 'history page');
      }),
      baseline: await sample(`bare Query of ${PAGE} history entries`, runs, () =>
        client
          .send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': `HIST#${historyOrg}` },
              ScanIndexForward: false,
              Limit: PAGE,
            }),
          )
          .then(() => undefined),
      ),
    };

    const bulkRuns = 6;
    const bulk = {
      subject: await sample(`POST bulk change of ${BULK_ORGS} orgs`, bulkRuns, async (run) => {
        assertOk(
          await http.send('POST', `/feature-flags/${key}/orgs`, { org_ids: orgIds, enabled: run % 2 === 1 }),
          'bulk',
        );
      }),
      baseline: await sample(
        `${BULK_ORGS} store transactions, ${BULK_CONCURRENCY} at a time`,
        bulkRuns,
        async (run) => {
          const store = new DynamoDbFlagStore(client, tableName);
          const definition = registry.byKey.get(key)!;
          await pMap(
            orgIds,
            (orgId) =>
              store.applyChange({
                orgId,
                key,
                enabled: run % 2 === 0,
                registryDefault: definition.default_enabled,
                actor: 'bench',
                requestId: `bench-${run}`,
                now: new Date(),
              }),
            { concurrency: BULK_CONCURRENCY },
          );
        },
      ),
    };

    const more = Math.max(0, largeOrgs - BULK_ORGS);
    log(`seeding ${more} more orgs...`);
    await seedOrgs(client, tableName, registry, more, 'ops-large');
    const large = await byFlagPages(http, client, tableName, key, `~${largeOrgs} orgs`, runs);
    return { smallOrgs: BULK_ORGS, largeOrgs, pairs: [small, large, history, bulk] };
  } finally {
    client.destroy();
  }
}

/** The section's report: each measurement beside its baseline, and the by-flag page at both fleet sizes. */
export function operationsLines(result: OperationsResult): string[] {
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
  const rows = result.pairs.flatMap(({ subject, baseline }) => [
    [
      subject.name,
      String(subject.runs),
      subject.p50Ms.toFixed(2),
      subject.p99Ms.toFixed(2),
      ratio(subject.p50Ms, baseline.p50Ms),
    ],
    [`  baseline: ${baseline.name}`, String(baseline.runs), baseline.p50Ms.toFixed(2), baseline.p99Ms.toFixed(2), ''],
  ]);
  const [small, large] = result.pairs;
  return [
    ...table([['operation', 'runs', 'p50 ms', 'p99 ms', 'p50 vs baseline'], ...rows]),
    '',
    `by-flag page at ~${result.largeOrgs} orgs vs at ~${result.smallOrgs} orgs: p50 ${ratio(large!.subject.p50Ms, small!.subject.p50Ms)} (the same work per page, whatever the fleet; baseline ${ratio(large!.baseline.p50Ms, small!.baseline.p50Ms)})`,
  ];
}
