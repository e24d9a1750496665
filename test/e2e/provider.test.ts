import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OpenFeature, StandardResolutionReasons } from '@openfeature/server-sdk';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import { followLocalEvents, type LocalEventsFollower } from '../../provider/src/local-events.js';
import { OrgFeatureFlagsProvider } from '../../provider/src/provider.js';
import { publicFlag, registry } from '../support/flags.js';
import { seedOrgs } from '../support/jobs.js';
import { startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';

/*
 * The provider package against the running local stack, as a Node service uses it: through the
 * OpenFeature server SDK, with a service token, real HTTP to the OFREP bulk endpoint, and the
 * local bus's events.jsonl for invalidation.
 */

const DOMAIN = 'provider-e2e';
const ORGS = 100;
const TTL_MS = 30_000;
const flag = publicFlag();

let stack: LocalStackProcess;
let admin: string;
let orgIds: string[];
let provider: OrgFeatureFlagsProvider;
let follower: LocalEventsFollower | undefined;
/** Every request the provider sent, counted at its `fetch`. */
let requests = 0;

const client = () => OpenFeature.getClient(DOMAIN);
const evaluate = (orgId: string) =>
  client().getBooleanDetails(flag.key, !flag.default_enabled, { targetingKey: orgId });

beforeAll(async () => {
  stack = await startLocalStackProcess();
  admin = await tokenFor(stack, '--role', 'admin');
  const service = await tokenFor(stack, '--role', 'service');
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient(localDynamoDbClientConfig(`http://localhost:${stack.env.DYNAMODB_PORT}`)),
  );
  orgIds = await seedOrgs(dynamo, 'org-feature-flags', registry, ORGS, 'provider-e2e');
  dynamo.destroy();
  const counted: typeof fetch = (input, init) => {
    requests += 1;
    return fetch(input, init);
  };
  provider = new OrgFeatureFlagsProvider({ baseUrl: stack.url, token: service, ttlMs: TTL_MS, fetch: counted });
  await OpenFeature.setProviderAndWait(DOMAIN, provider);
}, 120_000);

afterAll(async () => {
  follower?.close();
  await OpenFeature.clearProviders();
  await stack?.stop();
});

describe('the provider against the local stack', () => {
  it('fetches each org once; after that, 10,000 evaluations over 100 orgs make no HTTP request', async () => {
    const first = await Promise.all(orgIds.map(evaluate));
    expect(
      first.every(
        (details) =>
          details.value === flag.default_enabled &&
          details.reason === 'TARGETING_MATCH' &&
          details.errorCode === undefined,
      ),
    ).toBe(true);
    expect(requests).toBe(ORGS);

    for (let i = 0; i < 10_000; i++) {
      const details = await evaluate(orgIds[i % ORGS]!);
      if (details.value !== flag.default_enabled) throw new Error(`evaluation ${i}: ${JSON.stringify(details)}`);
    }
    expect(requests).toBe(ORGS);
    expect(provider.stats()).toMatchObject({ requests: ORGS, orgsCached: ORGS });
  });

  it("reflects an admin's change at the next evaluation within a second, from FeatureFlagChanged on the local bus", async () => {
    follower = followLocalEvents(provider, { file: path.join(stack.dataDir, 'events.jsonl') });
    // Let the follower find the file's end before the change is written.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const orgId = orgIds[7]!;
    const response = await fetch(`${stack.url}/org-feature-flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled }),
    });
    expect(response.status).toBe(200);
    const written = Date.now();
    let seenAfterMs: number | undefined;
    while (Date.now() - written < 5_000) {
      if ((await evaluate(orgId)).value === !flag.default_enabled) {
        seenAfterMs = Date.now() - written;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seenAfterMs).toBeDefined();
    expect(seenAfterMs).toBeLessThan(1_000);
    // Only that org was fetched again; every other org still answers from memory.
    expect(requests).toBe(ORGS + 1);
    expect((await evaluate(orgIds[8]!)).value).toBe(flag.default_enabled);
  });

  it('keeps answering the last known values, with reason STALE, once the API is stopped', async () => {
    await stack.stop();
    // Past their TTL the orgs are revalidated in the background; the API is gone, so they go stale.
    const expired = orgIds.slice(0, 3);
    for (const orgId of expired) await provider.invalidate(orgId);
    for (const orgId of orgIds) {
      const details = await evaluate(orgId);
      expect({ orgId, value: details.value, error: details.errorCode }).toEqual({
        orgId,
        value: orgId === orgIds[7] ? !flag.default_enabled : flag.default_enabled,
        error: undefined,
      });
      if (expired.includes(orgId)) expect(details.reason).toBe(StandardResolutionReasons.STALE);
    }
    // An org never fetched gets the code default, with an error.
    const unknown = await evaluate('provider-e2e-never-fetched');
    expect(unknown).toMatchObject({ value: !flag.default_enabled, errorCode: 'GENERAL' });
  });
});
