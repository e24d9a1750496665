import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDocumentClient } from '../../../lambdas/adapters/dynamodb-client.js';
import { DynamoDbFlagStore } from '../../../lambdas/adapters/dynamodb-flag-store.js';
import type { Caller } from '../../../lambdas/domain/caller.js';
import { DependencyUnavailableError } from '../../../lambdas/domain/errors.js';
import { ofrepErrorResponse } from '../../../lambdas/http/ofrep.js';
import { errorResponse } from '../../../lambdas/http/responses.js';
import { getOrgFlags, provisionOrg, setOrgFlag } from '../../../lambdas/use-cases/flags.js';
import { loadRegistry } from '../../../registry/index.js';
import { uniqueOrgId } from '../../support/events.js';
import { recognizeHostRealmErrors } from '../../support/realm.js';
import { rejectionOf } from '../../support/rejection.js';

/** A client pointed at a port nothing listens on: every call is refused at once. */
const client = createDocumentClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
afterAll(() => client.destroy());

// Node's ECONNREFUSED error comes from the host realm; without this the SDK, running in jest's VM
// context, rewraps it and drops its `code` (see test/support/realm.ts). A Lambda has one realm.
let restoreRealm: () => void = () => undefined;
beforeAll(() => {
  restoreRealm = recognizeHostRealmErrors();
});
afterAll(() => restoreRealm());

const deps = { registry: loadRegistry(), store: new DynamoDbFlagStore(client, 'unreachable-table') };
const admin: Caller = { role: 'admin', id: 'admin-user-1' };

describe('the flag store is unreachable', () => {
  test('getOrgFlags rejects with a DependencyUnavailableError (503, retry-after)', async () => {
    const error = await rejectionOf(getOrgFlags(deps, admin, uniqueOrgId()));

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    const unavailable = error as DependencyUnavailableError;
    expect(unavailable.status).toBe(503);
    expect(unavailable.code).toBe('dependency_unavailable');
    expect(unavailable.retryAfterSeconds).toBeGreaterThan(0);
  });

  test('the HTTP error mapping answers 503 with a retry-after header and no detail of the cause', async () => {
    const error = await rejectionOf(getOrgFlags(deps, admin, uniqueOrgId()));

    const response = errorResponse(error);

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe(String((error as DependencyUnavailableError).retryAfterSeconds));
    expect(Number(response.headers?.['retry-after'])).toBeGreaterThan(0);
    const body = JSON.parse(response.body ?? '') as { error: { code: string; message: string } };
    expect(body).toEqual({ error: { code: 'dependency_unavailable', message: expect.any(String) } });
    expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack|\.ts:\d+/);
  });

  test("the OpenFeature routes answer 429 with the same retry-after (OFREP clients back off on 429 only), in OFREP's shape", async () => {
    const error = (await rejectionOf(getOrgFlags(deps, admin, uniqueOrgId()))) as DependencyUnavailableError;

    for (const key of ['chat', undefined]) {
      const response = ofrepErrorResponse(error, { pathParameters: key === undefined ? undefined : { key } });
      expect(response.statusCode).toBe(429);
      expect(response.headers?.['retry-after']).toBe(String(error.retryAfterSeconds));
      expect(JSON.parse(response.body ?? '')).toEqual({
        ...(key === undefined ? {} : { key }),
        errorCode: 'GENERAL',
        errorDetails: error.message,
      });
      expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack|\.ts:\d+/);
    }
  });

  test('writes fail the same way: provisioning and setting a flag', async () => {
    const orgId = uniqueOrgId();
    const flag = deps.registry.flags[0];
    if (!flag) throw new Error('the registry is empty');

    expect(await rejectionOf(provisionOrg(deps, orgId, { actor: 'test', now: new Date() }))).toBeInstanceOf(
      DependencyUnavailableError,
    );
    expect(
      await rejectionOf(
        setOrgFlag(deps, admin, { org_id: orgId, key: flag.key, enabled: true }, { requestId: 'r-1', now: new Date() }),
      ),
    ).toBeInstanceOf(DependencyUnavailableError);
  });
});
