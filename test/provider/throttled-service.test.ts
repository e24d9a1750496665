import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { StandardResolutionReasons, type Logger } from '@openfeature/server-sdk';
import type { Context } from 'aws-lambda';
import { loadOrCreateKeys, signToken } from '../../lib/local/auth.js';
import { LocalEventBus } from '../../lib/local/event-bus.js';
import { startLocalServer, type HttpTarget } from '../../lib/local/server.js';
import { ROUTES } from '../../lambdas/http/routes.js';
import { OrgFeatureFlagsProvider } from '../../provider/src/provider.js';
import { httpEvent, lambdaContext, uniqueOrgId } from '../support/events.js';
import { answer, startFakeDynamoDb, type FakeDynamoDb } from '../support/fake-dynamodb.js';
import { publicFlag } from '../support/flags.js';
import { delay, recordingLogger, waitFor } from './ofrep-server.js';

/*
 * The provider against the service's own OFREP handlers behind the local gateway, on DynamoDB
 * Local, with DynamoDB throttling them for a while: the 429 and its Retry-After come from the real
 * handler, not from a stand-in, and the provider asks nothing more before the time it was given.
 */

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {} };
const flag = publicFlag();

let dynamo: FakeDynamoDb;
let server: Awaited<ReturnType<typeof startLocalServer>>;
let dataDir: string;
let token: string;
let throttled = false;
let provisionOrg: HttpTarget;
/** The bulk evaluations the gateway handed to the handler: when each came, and its status when it was answered. */
const evaluations: { at: number; status: number | undefined; answeredAt: number }[] = [];

beforeAll(async () => {
  const dynamoDbLocal = process.env.DYNAMODB_ENDPOINT;
  if (!dynamoDbLocal) throw new Error('DYNAMODB_ENDPOINT is not set: the global setup starts DynamoDB Local');
  dynamo = await startFakeDynamoDb(() =>
    throttled
      ? answer.error('ThrottlingException', 'Rate of requests exceeds the allowed throughput.')
      : answer.forward(dynamoDbLocal),
  );
  // The handlers read their configuration once, on first use: set it before loading them.
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-throttled-'));
  const keys = await loadOrCreateKeys(dataDir);
  token = await signToken(keys, { role: 'service' });
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  const load = async (name: string) =>
    ((await import(`../../lambdas/handlers/${name}.js`)) as { handler: HttpTarget }).handler;
  const evaluateFlags = await load('ofrep-evaluate-flags');
  provisionOrg = await load('provision-org');
  server = await startLocalServer({
    port: 0,
    routes: ROUTES.filter((route) => route.handler === 'ofrep-evaluate-flags'),
    handlers: {
      'ofrep-evaluate-flags': async (event: unknown, context: Context) => {
        const at = Date.now();
        const result = await evaluateFlags(event, context);
        evaluations.push({ at, status: result?.statusCode, answeredAt: Date.now() });
        return result;
      },
    },
    keys,
    bus: new LocalEventBus({ rules: [], targets: {}, deadLetterFile: path.join(dataDir, 'dead-letters.jsonl') }),
  });
});

async function provision(orgId: string): Promise<void> {
  const answered = await provisionOrg(
    httpEvent({ method: 'POST', path: '/orgs/{org_id}/provision', pathParameters: { org_id: orgId } }),
    lambdaContext(),
  );
  expect(answered?.statusCode).toBe(201);
}

afterAll(async () => {
  await server?.close();
  await dynamo?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('DynamoDB throttles the service', () => {
  it("the handler's 429 Retry-After keeps the provider from asking again before then; the last values are answered meanwhile", async () => {
    const orgId = uniqueOrgId();
    const otherOrgId = uniqueOrgId();
    await provision(orgId);
    await provision(otherOrgId);
    const log = recordingLogger();
    const provider = new OrgFeatureFlagsProvider({ baseUrl: server.url, token, ttlMs: 50, logger: log });
    try {
      const evaluate = (org = orgId) =>
        provider.resolveBooleanEvaluation(flag.key, !flag.default_enabled, { targetingKey: org }, silent);
      await expect(evaluate()).resolves.toMatchObject({ value: flag.default_enabled, reason: 'TARGETING_MATCH' });
      expect(evaluations.map((evaluation) => evaluation.status)).toEqual([200]);

      throttled = true;
      await delay(80);
      // Expired: answered at once from memory while the revalidation meets the throttled table.
      await expect(evaluate()).resolves.toMatchObject({ value: flag.default_enabled });
      await waitFor(() => log.lines.warn.length > 0, 10_000);
      expect(log.lines.warn[0]).toContain('answered 429');
      expect(evaluations.map((evaluation) => evaluation.status)).toEqual([200, 429]);
      // The handler's DynamoDB client tried more than once before it gave up.
      expect(dynamo.calls.filter((call) => call.operation === 'Query').length).toBeGreaterThan(2);

      throttled = false;
      // Nor for an org it has never fetched: that one has no value to give yet.
      await expect(evaluate(otherOrgId)).rejects.toThrow(/asked for no request before/);
      for (let index = 0; index < 5; index += 1) {
        await expect(evaluate()).resolves.toMatchObject({
          value: flag.default_enabled,
          reason: StandardResolutionReasons.STALE,
        });
        await delay(50);
      }
      expect(evaluations).toHaveLength(2);

      await waitFor(async () => (await evaluate()).reason === 'TARGETING_MATCH', 5_000);
      // Nothing changed meanwhile: the revalidation with the ETag it kept is answered 304.
      expect(evaluations.map((evaluation) => evaluation.status)).toEqual([200, 429, 304]);
      // The handler's Retry-After is a second, counted from its 429.
      expect(evaluations[2]!.at - evaluations[1]!.answeredAt).toBeGreaterThanOrEqual(1_000);
      expect(log.lines.warn).toHaveLength(1);
    } finally {
      await provider.onClose();
    }
  });
});
