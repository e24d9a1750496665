import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  OFREPApi,
  OFREPApiUnauthorizedError,
  type BulkEvaluationSuccessResponse,
  type EvaluationRequest,
} from '@openfeature/ofrep-core';
import { localDynamoDbClientConfig } from '../../lib/local/dynamodb-local.js';
import { internalFlag, publicFlag, registry } from '../support/flags.js';
import { startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';

/*
 * The OpenFeature evaluation routes on the running local stack, called with the unmodified OFREP
 * client of `@openfeature/ofrep-core` (OFREPApi) and signed tokens: every documented answer.
 */

let stack: LocalStackProcess;
let admin: string;
let service: string;
let orgToken: string;
const ORG = 'ofrep-acme';
const OTHER_ORG = 'ofrep-other';
/** The origin of a page the stack admits (CORS_ALLOW_ORIGINS). */
const PAGE_ORIGIN = 'http://app.example.test';
const flag = publicFlag();
const internal = internalFlag();
/** A flag whose row the test deletes, as for a flag added since the org's last sync. */
const defaulted = registry.flags.find((f) => !f.internal_only && f.key !== flag.key)!;

const api = (token?: string, fetchImplementation?: typeof fetch) =>
  new OFREPApi(
    { baseUrl: stack.url, ...(token ? { headers: [['Authorization', `Bearer ${token}`]] as [string, string][] } : {}) },
    fetchImplementation,
  );
/** The flags of a bulk answer that succeeded. */
const flagsOf = (result: { value?: unknown }) => (result.value as BulkEvaluationSuccessResponse).flags ?? [];
const context = (targetingKey?: string): EvaluationRequest => ({
  context: targetingKey === undefined ? {} : { targetingKey },
});

async function call(method: string, pathname: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  stack = await startLocalStackProcess({ env: { CORS_ALLOW_ORIGINS: PAGE_ORIGIN } });
  [admin, service, orgToken] = await Promise.all([
    tokenFor(stack, '--role', 'admin'),
    tokenFor(stack, '--role', 'service'),
    tokenFor(stack, '--role', 'org', '--org', ORG),
  ]);
  for (const id of [ORG, OTHER_ORG]) expect((await call('POST', `/orgs/${id}/provision`)).status).toBe(201);
  expect(
    (await call('POST', '/org-feature-flags', { org_id: ORG, key: flag.key, enabled: !flag.default_enabled })).status,
  ).toBe(200);
  const dynamo = new DynamoDBClient(localDynamoDbClientConfig(`http://localhost:${stack.env.DYNAMODB_PORT}`));
  await dynamo.send(
    new DeleteItemCommand({
      TableName: 'org-feature-flags',
      Key: { pk: { S: `ORG#${ORG}` }, sk: { S: `FLAG#${defaulted.key}` } },
    }),
  );
  dynamo.destroy();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('single-flag evaluation (POST /ofrep/v1/evaluate/flags/{key}) with OFREPApi', () => {
  it("answers an org's row with TARGETING_MATCH, its value, variant and metadata", async () => {
    const result = await api(orgToken).postEvaluateFlag(flag.key, context(ORG));
    expect(result.httpStatus).toBe(200);
    expect(result.httpResponse?.headers.get('content-type')).toMatch(/^application\/json/);
    expect(result.value).toEqual({
      key: flag.key,
      value: !flag.default_enabled,
      reason: 'TARGETING_MATCH',
      variant: flag.default_enabled ? 'off' : 'on',
      metadata: { is_default: false, source: 'admin', version: expect.any(Number), registry_version: registry.version },
    });
  });

  it('answers a flag the org has no row for with the registry default and reason DEFAULT', async () => {
    const result = await api(service).postEvaluateFlag(defaulted.key, context(ORG));
    expect(result.httpStatus).toBe(200);
    expect(result.value).toEqual({
      key: defaulted.key,
      value: defaulted.default_enabled,
      reason: 'DEFAULT',
      variant: defaulted.default_enabled ? 'on' : 'off',
      metadata: { is_default: true, source: 'registry_default', version: 0, registry_version: registry.version },
    });
  });

  it('lets a service token evaluate an internal flag, and answers FLAG_NOT_FOUND to an org token, as for an unknown key', async () => {
    const staff = await api(service).postEvaluateFlag(internal.key, context(ORG));
    expect(staff).toMatchObject({ httpStatus: 200, value: { key: internal.key, value: internal.default_enabled } });
    const own = await api(orgToken).postEvaluateFlag(internal.key, context(ORG));
    expect(own.httpStatus).toBe(404);
    expect(own.value).toEqual({
      key: internal.key,
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: `No flag '${internal.key}'.`,
    });
    const unknown = await api(orgToken).postEvaluateFlag('no-such-flag', context(ORG));
    expect(unknown.httpStatus).toBe(404);
    expect(unknown.value).toEqual({
      key: 'no-such-flag',
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: "No flag 'no-such-flag'.",
    });
  });

  it('answers an unknown key to a service token with FLAG_NOT_FOUND, naming the valid keys', async () => {
    const result = await api(service).postEvaluateFlag('no-such-flag', context(ORG));
    expect(result.httpStatus).toBe(404);
    expect(result.value).toMatchObject({ key: 'no-such-flag', errorCode: 'FLAG_NOT_FOUND' });
    expect((result.value as { errorDetails: string }).errorDetails).toContain(flag.key);
  });

  it("answers an unknown org, and another org's id with an org token, with the same INVALID_CONTEXT", async () => {
    const unknown = await api(service).postEvaluateFlag(flag.key, context('no-such-org'));
    expect(unknown.httpStatus).toBe(400);
    expect(unknown.value).toEqual({
      key: flag.key,
      errorCode: 'INVALID_CONTEXT',
      errorDetails: "context.targetingKey: No org 'no-such-org'.",
    });
    for (const orgId of [OTHER_ORG, 'no-such-org']) {
      const other = await api(orgToken).postEvaluateFlag(flag.key, context(orgId));
      expect(other.httpStatus).toBe(400);
      expect(other.value).toEqual({
        key: flag.key,
        errorCode: 'INVALID_CONTEXT',
        errorDetails: `context.targetingKey: No org '${orgId}'.`,
      });
    }
  });

  it('answers a missing targeting key with TARGETING_KEY_MISSING, and one that is not an org id with INVALID_CONTEXT', async () => {
    const missing = await api(service).postEvaluateFlag(flag.key, context());
    expect(missing.httpStatus).toBe(400);
    expect(missing.value).toMatchObject({ key: flag.key, errorCode: 'TARGETING_KEY_MISSING' });
    const bad = await api(service).postEvaluateFlag(flag.key, context('not an org id!'));
    expect(bad.httpStatus).toBe(400);
    expect(bad.value).toMatchObject({ key: flag.key, errorCode: 'INVALID_CONTEXT' });
    expect((bad.value as { errorDetails: string }).errorDetails).toContain('targetingKey');
  });

  it('answers malformed JSON with PARSE_ERROR', async () => {
    const truncate: typeof fetch = async (input, init) => {
      const request = input as Request;
      const body = (await request.text()).slice(0, -1);
      return fetch(new Request(request, { body }), init);
    };
    const result = await api(service, truncate).postEvaluateFlag(flag.key, context(ORG));
    expect(result.httpStatus).toBe(400);
    expect(result.value).toMatchObject({ key: flag.key, errorCode: 'PARSE_ERROR' });
  });

  it('answers no token with 401, which the client reports as unauthorized', async () => {
    await expect(api().postEvaluateFlag(flag.key, context(ORG))).rejects.toBeInstanceOf(OFREPApiUnauthorizedError);
  });
});

describe('bulk evaluation (POST /ofrep/v1/evaluate/flags) with OFREPApi', () => {
  it("answers an org token with exactly its org's non-internal flags, in registry order, with an ETag", async () => {
    const result = await api(orgToken).postBulkEvaluateFlags(context(ORG));
    expect(result.httpStatus).toBe(200);
    const visible = registry.flags.filter((f) => !f.internal_only);
    expect(flagsOf(result).map((f) => f.key)).toEqual(visible.map((f) => f.key));
    expect(flagsOf(result).find((f) => f.key === flag.key)).toMatchObject({
      value: !flag.default_enabled,
      reason: 'TARGETING_MATCH',
    });
    expect(flagsOf(result).find((f) => f.key === defaulted.key)).toMatchObject({
      value: defaulted.default_enabled,
      reason: 'DEFAULT',
    });
    expect((result.value as BulkEvaluationSuccessResponse).metadata).toEqual({
      org_id: ORG,
      registry_version: registry.version,
    });
    expect(result.httpResponse?.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });

  it('gives a service token the internal flags too, under another ETag', async () => {
    const staff = await api(service).postBulkEvaluateFlags(context(ORG));
    const own = await api(orgToken).postBulkEvaluateFlags(context(ORG));
    expect(flagsOf(staff).map((f) => f.key)).toEqual(registry.flags.map((f) => f.key));
    expect(staff.httpResponse?.headers.get('etag')).not.toBe(own.httpResponse?.headers.get('etag'));
  });

  it('answers 304 with no body to the current ETag, and a new ETag exactly when the answer changes', async () => {
    const first = await api(orgToken).postBulkEvaluateFlags(context(ORG));
    const etag = first.httpResponse?.headers.get('etag');
    const again = await api(orgToken).postBulkEvaluateFlags(context(ORG), etag);
    expect(again.httpStatus).toBe(304);
    expect(again.value).toBeUndefined();
    expect(await again.httpResponse?.text()).toBe('');
    expect(again.httpResponse?.headers.get('etag')).toBe(etag);

    // Another org's change leaves this org's answer, and so its ETag, as it was.
    expect(
      (await call('POST', '/org-feature-flags', { org_id: OTHER_ORG, key: flag.key, enabled: !flag.default_enabled }))
        .status,
    ).toBe(200);
    expect((await api(orgToken).postBulkEvaluateFlags(context(ORG), etag)).httpStatus).toBe(304);

    expect(
      (await call('POST', '/org-feature-flags', { org_id: ORG, key: flag.key, enabled: flag.default_enabled })).status,
    ).toBe(200);
    const changed = await api(orgToken).postBulkEvaluateFlags(context(ORG), etag);
    expect(changed.httpStatus).toBe(200);
    expect(flagsOf(changed).find((f) => f.key === flag.key)).toMatchObject({ value: flag.default_enabled });
    expect(changed.httpResponse?.headers.get('etag')).not.toBe(etag);
    expect(
      (await call('POST', '/org-feature-flags', { org_id: ORG, key: flag.key, enabled: !flag.default_enabled })).status,
    ).toBe(200);
  });

  it("answers an unknown org, another org's id with an org token, a missing targeting key and malformed JSON in OFREP's shape", async () => {
    for (const [token, orgId] of [
      [service, 'no-such-org'],
      [orgToken, OTHER_ORG],
      [orgToken, 'no-such-org'],
    ] as const) {
      const result = await api(token).postBulkEvaluateFlags(context(orgId));
      expect(result.httpStatus).toBe(400);
      expect(result.value).toEqual({
        errorCode: 'INVALID_CONTEXT',
        errorDetails: `context.targetingKey: No org '${orgId}'.`,
      });
    }
    const missing = await api(orgToken).postBulkEvaluateFlags(context());
    expect(missing).toMatchObject({ httpStatus: 400, value: { errorCode: 'TARGETING_KEY_MISSING' } });
    const truncate: typeof fetch = async (input, init) => {
      const request = input as Request;
      return fetch(new Request(request, { body: (await request.text()).slice(0, -1) }), init);
    };
    const malformed = await api(orgToken, truncate).postBulkEvaluateFlags(context(ORG));
    expect(malformed).toMatchObject({ httpStatus: 400, value: { errorCode: 'PARSE_ERROR' } });
    await expect(api().postBulkEvaluateFlags(context(ORG))).rejects.toBeInstanceOf(OFREPApiUnauthorizedError);
  });
});

describe('CORS on the local stack (CORS_ALLOW_ORIGINS), as API Gateway answers it', () => {
  it("answers an allowed page's preflight, lets it read the ETag, and admits no other origin", async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.url}/ofrep/v1/evaluate/flags`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,if-none-match',
        },
      });
    const allowed = await preflight(PAGE_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')?.split(',')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'if-none-match']),
    );
    expect((await preflight('http://elsewhere.example.test')).headers.get('access-control-allow-origin')).toBeNull();

    const page = (origin: string) =>
      api(orgToken, (input, init) =>
        fetch(
          new Request(input as Request, { headers: { ...Object.fromEntries((input as Request).headers), origin } }),
          init,
        ),
      );
    const answer = await page(PAGE_ORIGIN).postBulkEvaluateFlags(context(ORG));
    expect(answer.httpResponse?.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
    expect(answer.httpResponse?.headers.get('access-control-expose-headers')).toBe('etag');
    expect(
      (await page('http://elsewhere.example.test').postBulkEvaluateFlags(context(ORG))).httpResponse?.headers.get(
        'access-control-allow-origin',
      ),
    ).toBeNull();
  });
});
