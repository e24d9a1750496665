// First: sets the environment before the imports below read it.
import './environment.js';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { documentClient } from '../../lambdas/adapters/dynamodb-client.js';
import { loadOrCreateKeys, signToken } from '../../lib/local/auth.js';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import type { HttpTarget } from '../../lib/local/server.js';
import { localSettings, startLocalStack, type LocalStack } from '../../lib/local/stack.js';
import { handlerEntryPath } from '../../lib/service/handlers.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { countCalls, runLoad, warmUp, type LoadOptions, type LoadResult, type Scenario } from './load.js';
import {
  cpuShareLines,
  errorBanner,
  machineLines,
  memoryLines,
  ratioLine,
  resultTable,
  settingLines,
  type MemoryReading,
} from './report.js';
import { DynamoDbFlagStore } from '../../lambdas/adapters/dynamodb-flag-store.js';
import {
  authorizerAlone,
  bareOrgQuery,
  FlagSlots,
  httpGetOrgFlags,
  httpHealth,
  httpToggleFlag,
  inProcessGetOrgFlags,
  storeToggle,
} from './scenarios.js';
import { benchSync, syncLines } from './sync.js';
import { benchOperations, operationsLines } from './operations.js';
import { benchColdStart, coldStartLines } from './cold-start.js';
import { benchUi, uiLines } from './ui.js';
import { benchOpenFeature, openFeatureLines } from './openfeature.js';
import { msPerRequestByPart, profiled, profileTable } from './profile.js';

const SECTIONS = ['http', 'operations', 'sync', 'openfeature', 'cold-start', 'ui'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE =
  'Usage: npm run bench -- [--only SECTION[,SECTION]] [--duration SECONDS] [--warmup SECONDS] [--connections N] [--sync-orgs N] [--cold-start-runs N] [--ui-runs N] [--profile DIR]\n' +
  `Sections: ${SECTIONS.join(', ')} (default: all)`;
const ACTOR = 'bench';

const optionsSchema = z.object({
  only: z
    .string()
    .default(SECTIONS.join(','))
    .transform((text) => text.split(',').map((name) => name.trim()))
    .pipe(z.array(z.enum(SECTIONS)).min(1)),
  'cold-start-runs': z.coerce.number().int().min(1).max(100).default(9),
  'ui-runs': z.coerce.number().int().min(1).max(100).default(5),
  duration: z.coerce.number().positive().max(3600).default(5),
  warmup: z.coerce.number().min(0).max(600).default(2),
  connections: z.coerce.number().int().min(1).max(1024).default(16),
  'sync-orgs': z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  profile: z.string().min(1).optional(),
});

interface BenchOptions extends LoadOptions {
  readonly sections: ReadonlySet<Section>;
  /** Fresh imports of each bundle in the cold-start section. */
  readonly coldStartRuns: number;
  /** Loads of each admin UI screen in the ui section. */
  readonly uiRuns: number;
  /** Orgs of the sync benchmark; 0 skips it. */
  readonly syncOrgs: number;
  /** Where the http section writes a CPU profile of each GET scenario, run again under the profiler; none when unset. */
  readonly profileDir?: string;
}

/** Flags win over BENCH_ONLY, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_SYNC_ORGS, BENCH_COLD_START_RUNS, BENCH_UI_RUNS and BENCH_PROFILE, which win over the defaults. */
function benchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      'cold-start-runs': { type: 'string' },
      'ui-runs': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'sync-orgs': { type: 'string' },
      profile: { type: 'string' },
    },
    strict: true,
  });
  const parsed = optionsSchema.safeParse({
    only: values.only ?? env.BENCH_ONLY,
    'cold-start-runs': values['cold-start-runs'] ?? env.BENCH_COLD_START_RUNS,
    'ui-runs': values['ui-runs'] ?? env.BENCH_UI_RUNS,
    duration: values.duration ?? env.BENCH_DURATION,
    warmup: values.warmup ?? env.BENCH_WARMUP,
    connections: values.connections ?? env.BENCH_CONNECTIONS,
    'sync-orgs': values['sync-orgs'] ?? env.BENCH_SYNC_ORGS,
    profile: values.profile ?? env.BENCH_PROFILE,
  });
  if (!parsed.success)
    throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n${USAGE}`);
  return {
    sections: new Set(parsed.data.only),
    coldStartRuns: parsed.data['cold-start-runs'],
    uiRuns: parsed.data['ui-runs'],
    durationMs: parsed.data.duration * 1000,
    warmupMs: parsed.data.warmup * 1000,
    connections: parsed.data.connections,
    syncOrgs: parsed.data['sync-orgs'],
    ...(parsed.data.profile === undefined ? {} : { profileDir: path.resolve(parsed.data.profile) }),
  };
}

/** One org per connection, so that each write worker owns its org (see FlagSlots). */
async function provisionOrgs(http: HttpClient, count: number): Promise<string[]> {
  const orgIds = Array.from({ length: count }, (_, i) => `bench-org-${i}`);
  await Promise.all(orgIds.map((orgId) => http.json('POST', `/orgs/${orgId}/provision`)));
  return orgIds;
}

/**
 * Runs each scenario again, as long as it was measured, under V8's sampling profiler, writes each
 * profile to `dir` (`<label>.cpuprofile`) and prints where each request's CPU went. Apart from the
 * measured runs, whose figures the profiler would inflate.
 */
async function profileScenarios(
  scenarios: readonly { readonly label: string; readonly scenario: Scenario }[],
  options: BenchOptions,
  dir: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const columns = [];
  for (const { label, scenario } of scenarios) {
    const file = path.join(dir, `${label.replace(/[^A-Za-z0-9]+/g, '-')}.cpuprofile`);
    const { result, profile } = await profiled(file, () => runLoad(scenario, options));
    columns.push({ name: label, byPart: msPerRequestByPart(profile, result.ok + result.errors) });
  }
  printSection(
    `Profile: CPU per request by part (self time sampled every 200 µs, in a run of its own; the profiler adds to every part), written to ${dir}`,
    profileTable(columns),
  );
}

function printSection(title: string, lines: readonly string[]): void {
  console.log(`\n${title}`);
  for (const line of lines) console.log(`  ${line}`);
}

async function benchmark(stack: LocalStack, options: BenchOptions, memory: MemoryReading[]): Promise<void> {
  const { tableName } = stack.settings;
  const keys = await loadOrCreateKeys(stack.settings.dataDir);
  const token = await signToken(keys, { role: 'admin', subject: ACTOR });
  const apiUrl = new URL(stack.url);
  apiUrl.hostname = stack.settings.host;
  const http = createHttpClient(apiUrl.origin, token, options.connections);
  const bare = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoDbClientConfig(stack.dynamoDbEndpoint)));
  try {
    const handlerCalls = countCalls(documentClient());
    const bareCalls = countCalls(bare);
    if (options.sections.has('http')) {
      const orgIds = await provisionOrgs(http, options.connections);
      const slots = await FlagSlots.load(http, orgIds);

      printSection('Settings', [
        ...settingLines({
          duration: `${options.durationMs / 1000} s per scenario, after a warm-up round of ${options.warmupMs / 1000} s per scenario`,
          connections: `${options.connections} concurrent workers, one request at a time each (keep-alive node:http Agent)`,
          orgs: `${orgIds.length} provisioned (one per worker, so concurrent write transactions never share an item)`,
          'GET spread': 'round robin over every org',
          'POST spread': `each worker flips its own org's ${slots.size(0)} flags in turn, alternating enabled true/false`,
          'log level': `POWERTOOLS_LOG_LEVEL=${process.env.POWERTOOLS_LOG_LEVEL}`,
          api: `${apiUrl.origin} (local API Gateway + JWT authorizer + real handlers, in this process)`,
          dynamodb: `${stack.dynamoDbEndpoint} (DynamoDB Local, in memory, a separate Java process), table ${tableName}`,
          'data dir': stack.settings.dataDir,
        }),
      ]);
      printSection('Running: a warm-up round over all scenarios, then each one measured (progress on stderr)', []);

      // The module the local stack serves the route with (one module instance per URL).
      const getHandler = (await import(pathToFileURL(handlerEntryPath('get-org-flags')).href)) as {
        handler: HttpTarget;
      };
      const scenarios: Scenario[] = [
        { name: 'GET /org-feature-flags/{org_id}', operation: httpGetOrgFlags(http, orgIds), counter: handlerCalls },
        {
          name: '  its handler alone, in process',
          operation: await inProcessGetOrgFlags(getHandler.handler, keys, token, orgIds),
          counter: handlerCalls,
        },
        { name: '  its JWT check alone, in process', operation: authorizerAlone(keys, token), counter: handlerCalls },
        { name: '  an open route, GET /health', operation: httpHealth(http), counter: handlerCalls },
        { name: 'bare Query (baseline of GET)', operation: bareOrgQuery(bare, tableName, orgIds), counter: bareCalls },
        { name: 'POST /org-feature-flags', operation: httpToggleFlag(http, slots), counter: handlerCalls },
        {
          name: 'store transaction (baseline of POST)',
          operation: storeToggle(new DynamoDbFlagStore(bare, tableName), slots, ACTOR),
          counter: bareCalls,
        },
      ];
      memory.push({ label: 'before load (stack up, orgs provisioned)', usage: process.memoryUsage() });
      await warmUp(scenarios, options);
      const results: LoadResult[] = [];
      for (const scenario of scenarios) results.push(await runLoad(scenario, options));
      memory.push({ label: 'after load', usage: process.memoryUsage() });

      const [get, handlerAlone, jwtAlone, openRoute, query, post, transact] = results as [
        LoadResult,
        LoadResult,
        LoadResult,
        LoadResult,
        LoadResult,
        LoadResult,
        LoadResult,
      ];
      report(
        results,
        [
          ratioLine(get, query),
          ratioLine(handlerAlone, query),
          ratioLine(post, transact),
          ...cpuShareLines(get, handlerAlone, jwtAlone, openRoute, query),
        ],
        memory,
      );
      if (options.profileDir !== undefined) {
        const labels = ['GET', 'handler-alone', 'JWT-check-alone', 'GET-health', 'bare-Query'];
        const profiledScenarios = labels.map((label, index) => ({ label, scenario: scenarios[index] as Scenario }));
        await profileScenarios(profiledScenarios, options, options.profileDir);
      }
    }

    // Before the sync section, which seeds its own orgs: the by-flag page is measured at ~100 orgs first.
    if (options.sections.has('operations')) {
      printSection(
        `Operations: by-flag pages at ~100 and ~${options.syncOrgs} orgs, history, bulk (progress on stderr)`,
        [],
      );
      const result = await benchOperations(stack, http, Math.max(options.syncOrgs, 200), (line) =>
        process.stderr.write(`${line}\n`),
      );
      printSection(
        'Operations (local stack; p50 of sequential requests, each beside the least DynamoDB work it must do)',
        operationsLines(result),
      );
    }

    if (options.sections.has('sync') && options.syncOrgs > 0) {
      printSection(
        `Sync over ${options.syncOrgs} orgs that lack one flag, then a rollout's preview over them (progress on stderr)`,
        [],
      );
      const passes = await benchSync(stack, http, handlerCalls, options.syncOrgs, (line) =>
        process.stderr.write(`${line}\n`),
      );
      memory.push({ label: 'after the sync benchmark', usage: process.memoryUsage() });
      printSection('Sync (local stack, DynamoDB Local in memory; orgs/s over the whole pass)', syncLines(passes));
      printSection('Memory after the sync benchmark', memoryLines(memory.slice(-1)));
    }

    if (options.sections.has('openfeature')) {
      printSection('OpenFeature: the provider package against the local stack (progress on stderr)', []);
      const service = await signToken(await loadOrCreateKeys(stack.settings.dataDir), {
        role: 'service',
        subject: ACTOR,
      });
      const result = await benchOpenFeature(stack, http, service, (line) => process.stderr.write(`${line}\n`));
      printSection(
        'OpenFeature (provider in this process, local stack, DynamoDB Local in memory)',
        openFeatureLines(result),
      );
    }
  } finally {
    http.close();
    bare.destroy();
  }
}

function report(results: readonly LoadResult[], ratios: readonly string[], memory: readonly MemoryReading[]): void {
  printSection(
    'Results (latency of successful requests; errors = non-2xx, thrown, or a POST that changed nothing)',
    resultTable(results),
  );
  printSection('Ratios (req/s: share of the baseline; latency: times the baseline)', ratios);
  printSection(
    'Memory of this Node process: server AND load generator (DynamoDB Local not included)',
    memoryLines(memory),
  );
  const banner = errorBanner(results);
  if (banner.length > 0) console.log(`\n${banner.join('\n')}`);
}

async function main(): Promise<number> {
  const options = benchOptions(process.argv.slice(2), process.env);
  const memory: MemoryReading[] = [{ label: 'at start', usage: process.memoryUsage() }];
  printSection('Machine', machineLines());

  // First, while no local stack runs beside it: it needs none, only this machine's CPU.
  if (options.sections.has('cold-start')) {
    printSection(
      `Cold start: ${options.coldStartRuns} fresh imports of each function's bundle (progress on stderr)`,
      [],
    );
    const result = await benchColdStart(options.coldStartRuns, (line) => process.stderr.write(`${line}\n`));
    printSection(
      'Cold start (bundles as cdk deploys them; import ms: median time to import the bundle in a fresh Node process)',
      coldStartLines(result),
    );
  }
  // Its own local stack, in a child process, started and stopped before the one of the sections below.
  if (options.sections.has('ui')) {
    printSection(`Admin UI: ${options.uiRuns} loads of each screen in Chromium (progress on stderr)`, []);
    const result = await benchUi(options.uiRuns, (line) => process.stderr.write(`${line}\n`));
    printSection('Admin UI (Chromium, local stack from a copy of the project with a larger registry)', uiLines(result));
  }
  if (!['http', 'sync', 'operations', 'openfeature'].some((section) => options.sections.has(section as Section)))
    return 0;

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'org-feature-flags-bench-'));
  let stack: LocalStack;
  try {
    stack = await startLocalStack(
      { ...localSettings(), port: 0, dynamoDbPort: 0, inMemory: true, dataDir },
      () => undefined,
    );
  } catch (error) {
    console.error(`The local stack failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await rm(dataDir, { recursive: true, force: true });
    return 1;
  }
  try {
    await benchmark(stack, options, memory);
    return 0;
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
