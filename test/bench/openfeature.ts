import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FlagdCore } from '@openfeature/flagd-core';
import {
  OpenFeature,
  type EvaluationContext,
  type Logger,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import pMap from 'p-map';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import type { LocalStack } from '../../lib/local/stack.js';
import { OrgFeatureFlagsProvider } from '../../provider/src/provider.js';
import { loadRegistry } from '../../registry/index.js';
import { seedOrgs } from '../support/jobs.js';
import type { HttpClient } from './http-client.js';
import { sample, type Sample } from './operations.js';
import { table } from './report.js';

/** Evaluations per second of this provider and of flagd-core, measured in turn. */
export interface Rates {
  readonly provider: number;
  readonly flagd: number;
  /** Median over the rounds of this provider's rate over flagd-core's in the same round. */
  readonly ratio: number;
}

/** What the OpenFeature section measured. */
export interface OpenFeatureResult {
  readonly orgs: number;
  /** Cached evaluations per second through the OpenFeature client, medians of the rounds, and the median of each round's ratio. */
  readonly client: Rates;
  /** The same, calling each provider's resolution directly (no SDK): the evaluators alone. */
  readonly direct: Rates;
  readonly rounds: number;
  readonly evaluationsPerRound: number;
  /** HTTP requests the provider made for the first and the second 10,000 evaluations (30 s TTL). */
  readonly requestsFirst: number;
  readonly requestsSecond: number;
  readonly bulk200: Sample;
  readonly bulk304: Sample;
  readonly memoryOrgs: number;
  /** Heap retained by the provider's cache of `memoryOrgs` orgs, in bytes. */
  readonly memoryBytes: number;
}

const ORGS = 100;
const EVALUATIONS = 10_000;
const ROUNDS = 7;
const PER_ROUND = 50_000;
const MEMORY_ORGS = 10_000;

/**
 * flagd's in-process evaluator behind the same OpenFeature client: what flagd's in-process
 * provider does for each evaluation (its targeting rules evaluated from memory).
 */
class FlagdCoreProvider implements Provider {
  readonly runsOn = 'server' as const;
  readonly metadata = { name: 'flagd-core' } as const;
  constructor(private readonly core: FlagdCore) {}
  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<boolean>> {
    return this.core.resolveBooleanEvaluation(flagKey, defaultValue, context, logger);
  }
  async resolveStringEvaluation(): Promise<ResolutionDetails<string>> {
    throw new Error('boolean flags only');
  }
  async resolveNumberEvaluation(): Promise<ResolutionDetails<number>> {
    throw new Error('boolean flags only');
  }
  async resolveObjectEvaluation<T>(): Promise<ResolutionDetails<T>> {
    throw new Error('boolean flags only');
  }
}

/** The same flag for flagd: on for exactly the orgs whose row is on, by `targetingKey`. */
function flagdConfiguration(key: string, onOrgs: readonly string[]): string {
  return JSON.stringify({
    flags: {
      [key]: {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { if: [{ in: [{ var: 'targetingKey' }, [...onOrgs]] }, 'on', 'off'] },
      },
    },
  });
}

type Evaluate = (orgId: string) => Promise<boolean> | boolean;

async function evaluationsPerSecond(
  name: string,
  evaluate: Evaluate,
  orgIds: readonly string[],
  count: number,
  expected: ReadonlyMap<string, boolean>,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const orgId = orgIds[i % orgIds.length]!;
    if ((await evaluate(orgId)) !== expected.get(orgId)) throw new Error(`${name}: wrong value for ${orgId}`);
  }
  return count / ((performance.now() - started) / 1000);
}

/** Rounds of `PER_ROUND` evaluations with each, in turn (the order swapped every round), after one unmeasured round each. */
async function rates(
  provider: Evaluate,
  flagd: Evaluate,
  orgIds: readonly string[],
  expected: ReadonlyMap<string, boolean>,
): Promise<Rates> {
  await evaluationsPerSecond('provider', provider, orgIds, PER_ROUND, expected);
  await evaluationsPerSecond('flagd-core', flagd, orgIds, PER_ROUND, expected);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const first = round % 2 === 0;
    if (first) ours.push(await evaluationsPerSecond('provider', provider, orgIds, PER_ROUND, expected));
    theirs.push(await evaluationsPerSecond('flagd-core', flagd, orgIds, PER_ROUND, expected));
    if (!first) ours.push(await evaluationsPerSecond('provider', provider, orgIds, PER_ROUND, expected));
  }
  return {
    provider: median(ours),
    flagd: median(theirs),
    ratio: median(ours.map((rate, round) => rate / theirs[round]!)),
  };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** A full garbage collection, so that heap readings hold only what is still referenced. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * The provider package against the local stack, each figure beside its comparison in the same run:
 * cached evaluations per second through the OpenFeature client, with this provider and with
 * flagd's in-process evaluator on an equivalent flag (interleaved rounds); the HTTP requests of
 * 10,000 evaluations over 100 orgs with the default 30 s TTL; the bulk endpoint's latency with
 * and without a matching `If-None-Match` (304 against 200); the heap the provider keeps for
 * 10,000 cached orgs.
 */
export async function benchOpenFeature(
  stack: LocalStack,
  http: HttpClient,
  serviceToken: string,
  log: (line: string) => void,
): Promise<OpenFeatureResult> {
  const registry = loadRegistry();
  const key = registry.flags.find((flag) => !flag.internal_only)?.key ?? registry.flags[0]!.key;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoDbClientConfig(stack.dynamoDbEndpoint)));
  const baseUrl = stack.url;
  try {
    log(`seeding ${ORGS} orgs, turning the flag on for every third...`);
    const orgIds = await seedOrgs(client, stack.settings.tableName, registry, ORGS, 'of-bench');
    const onOrgs = orgIds.filter((_, i) => i % 3 === 0);
    const definition = registry.byKey.get(key)!;
    for (const orgId of orgIds) {
      const enabled = onOrgs.includes(orgId);
      if (enabled !== definition.default_enabled)
        await http.json('POST', '/org-feature-flags', { org_id: orgId, key, enabled });
    }
    const expected = new Map(orgIds.map((orgId) => [orgId, onOrgs.includes(orgId)]));

    log('HTTP requests of 10,000 evaluations over 100 orgs...');
    const counted = new OrgFeatureFlagsProvider({ baseUrl, token: serviceToken });
    await OpenFeature.setProviderAndWait('of-bench-provider', counted);
    const providerClient = OpenFeature.getClient('of-bench-provider');
    const throughProvider: Evaluate = (orgId) => providerClient.getBooleanValue(key, false, { targetingKey: orgId });
    await evaluationsPerSecond('provider', throughProvider, orgIds, EVALUATIONS, expected);
    const requestsFirst = counted.stats().requests;
    await evaluationsPerSecond('provider', throughProvider, orgIds, EVALUATIONS, expected);
    const requestsSecond = counted.stats().requests - requestsFirst;

    log(
      `cached evaluations: ${ROUNDS} rounds of ${PER_ROUND} each, this provider and flagd-core in turn, through the client and directly...`,
    );
    const core = new FlagdCore();
    core.setConfigurations(flagdConfiguration(key, onOrgs));
    const flagdProvider = new FlagdCoreProvider(core);
    await OpenFeature.setProviderAndWait('of-bench-flagd', flagdProvider);
    const flagdClient = OpenFeature.getClient('of-bench-flagd');
    const clientRates = await rates(
      throughProvider,
      (orgId) => flagdClient.getBooleanValue(key, false, { targetingKey: orgId }),
      orgIds,
      expected,
    );
    const logger = console;
    // Each provider's resolution as the SDK calls it (a Provider's method, which returns a promise).
    const direct = await rates(
      (orgId) =>
        counted.resolveBooleanEvaluation(key, false, { targetingKey: orgId }, logger).then((details) => details.value),
      (orgId) =>
        flagdProvider
          .resolveBooleanEvaluation(key, false, { targetingKey: orgId }, logger)
          .then((details) => details.value),
      orgIds,
      expected,
    );
    if (counted.stats().requests !== requestsFirst)
      throw new Error('the provider made HTTP requests while its orgs were cached');

    log('the bulk endpoint: 200 against 304...');
    const path = '/ofrep/v1/evaluate/flags';
    const body = (run: number) => ({ context: { targetingKey: orgIds[run % ORGS] } });
    const etags = new Map<string, string>();
    for (const orgId of orgIds) {
      const response = await http.send('POST', path, { context: { targetingKey: orgId } });
      etags.set(orgId, String(response.headers.etag));
    }
    const expectStatus = (status: number, wanted: number) => {
      if (status !== wanted) throw new Error(`bulk evaluation: HTTP ${status}, expected ${wanted}`);
    };
    const bulk200 = await sample('POST /ofrep/v1/evaluate/flags, 200', 100, async (run) =>
      expectStatus((await http.send('POST', path, body(run))).status, 200),
    );
    const bulk304 = await sample('POST /ofrep/v1/evaluate/flags, If-None-Match: 304', 100, async (run) =>
      expectStatus(
        (await http.send('POST', path, body(run), { 'if-none-match': etags.get(orgIds[run % ORGS]!)! })).status,
        304,
      ),
    );

    log(`memory: seeding ${MEMORY_ORGS} orgs and caching them all...`);
    const memoryOrgIds = await seedOrgs(client, stack.settings.tableName, registry, MEMORY_ORGS, 'of-memory');
    const cache = new OrgFeatureFlagsProvider({ baseUrl, token: serviceToken, maxOrgs: MEMORY_ORGS });
    await OpenFeature.setProviderAndWait('of-bench-memory', cache);
    const memoryClient = OpenFeature.getClient('of-bench-memory');
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    await pMap(memoryOrgIds, (orgId) => memoryClient.getBooleanValue(key, false, { targetingKey: orgId }), {
      concurrency: 16,
    });
    collectGarbage();
    const memoryBytes = process.memoryUsage().heapUsed - before;
    if (cache.stats().orgsCached !== MEMORY_ORGS)
      throw new Error(`cached ${cache.stats().orgsCached} orgs, expected ${MEMORY_ORGS}`);

    await OpenFeature.clearProviders();
    return {
      orgs: ORGS,
      client: clientRates,
      direct,
      rounds: ROUNDS,
      evaluationsPerRound: PER_ROUND,
      requestsFirst,
      requestsSecond,
      bulk200,
      bulk304,
      memoryOrgs: MEMORY_ORGS,
      memoryBytes,
    };
  } finally {
    client.destroy();
  }
}

/** The section's report. */
export function openFeatureLines(result: OpenFeatureResult): string[] {
  const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
  const rounds = `median of ${result.rounds} rounds of ${result.evaluationsPerRound.toLocaleString('en-US')}, ${result.orgs} orgs`;
  const share = (alone: number, through: number) => `${Math.round((through / alone) * 100)}%`;
  const verdict = (what: string, rates: Rates) =>
    rates.ratio >= 1
      ? `${what}: this provider at least as fast as flagd-core (${rates.ratio.toFixed(2)}x)`
      : `${what}: this provider SLOWER than flagd-core (${rates.ratio.toFixed(2)}x)`;
  return [
    ...table([
      ['measure', 'this provider', 'comparison', 'ratio'],
      [
        `cached evaluations through the OpenFeature client (${rounds})`,
        rate(result.client.provider),
        `flagd-core ${rate(result.client.flagd)}`,
        `${result.client.ratio.toFixed(2)}x`,
      ],
      [
        `  each provider's resolution alone, as the SDK calls it (${rounds})`,
        rate(result.direct.provider),
        `flagd-core ${rate(result.direct.flagd)}`,
        `${result.direct.ratio.toFixed(2)}x`,
      ],
      [
        `HTTP requests per ${EVALUATIONS.toLocaleString('en-US')} evaluations over ${result.orgs} orgs, 30 s TTL (first, then next)`,
        `${result.requestsFirst}, then ${result.requestsSecond}`,
        `one per org: ${result.orgs}`,
        '',
      ],
      [
        'bulk endpoint p50 latency: 304 (If-None-Match) against 200',
        `${result.bulk304.p50Ms.toFixed(2)} ms`,
        `200: ${result.bulk200.p50Ms.toFixed(2)} ms`,
        `${(result.bulk304.p50Ms / result.bulk200.p50Ms).toFixed(2)}x`,
      ],
      [
        `heap kept for ${result.memoryOrgs.toLocaleString('en-US')} cached orgs`,
        `${(result.memoryBytes / 1024 / 1024).toFixed(1)} MB`,
        `${Math.round(result.memoryBytes / result.memoryOrgs)} bytes per org`,
        '',
      ],
    ]),
    '',
    verdict('resolution alone', result.direct),
    verdict('through the OpenFeature client', result.client),
    `  most of an evaluation through the client is the SDK's own work (hooks, context, details): the resolution is ${share(result.direct.provider, result.client.provider)} of it with this provider, ${share(result.direct.flagd, result.client.flagd)} with flagd-core, so there the two differ by about the run-to-run noise`,
    "ratio: median over the rounds of this provider's rate over flagd-core's in the same round",
  ];
}
