import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { handler as bulkSetFlag } from '../../../lambdas/handlers/bulk-set-flag.js';
import { handler as getFlagHistory } from '../../../lambdas/handlers/get-flag-history.js';
import { handler as getOrgFlag } from '../../../lambdas/handlers/get-org-flag.js';
import { handler as getOrg } from '../../../lambdas/handlers/get-org.js';
import { handler as getOrgFlags } from '../../../lambdas/handlers/get-org-flags.js';
import { handler as getOrgHistory } from '../../../lambdas/handlers/get-org-history.js';
import { handler as health } from '../../../lambdas/handlers/health.js';
import { handler as listFlagOrgs } from '../../../lambdas/handlers/list-flag-orgs.js';
import { handler as listFlags } from '../../../lambdas/handlers/list-flags.js';
import { handler as listOrgs } from '../../../lambdas/handlers/list-orgs.js';
import { handler as ofrepEvaluateFlag } from '../../../lambdas/handlers/ofrep-evaluate-flag.js';
import { handler as ofrepEvaluateFlags } from '../../../lambdas/handlers/ofrep-evaluate-flags.js';
import { handler as openapi } from '../../../lambdas/handlers/openapi.js';
import { handler as provisionOrg } from '../../../lambdas/handlers/provision-org.js';
import { handler as setOrgAttributes } from '../../../lambdas/handlers/set-org-attributes.js';
import { handler as setOrgFlag } from '../../../lambdas/handlers/set-org-flag.js';
import type { OpenApiDocument } from '../../../lambdas/http/openapi.js';
import { ROUTES, routeKey } from '../../../lambdas/http/routes.js';
import { dynamoDbCallCounter, uniqueOrgId, type HttpEventOptions } from '../../support/events.js';
import { publicFlag } from '../../support/flags.js';
import { invoke, type HttpLambda, type HttpResult } from '../../support/http.js';
import { DocumentedSchemas, committedOpenApiText } from '../../support/openapi.js';
import { TestTable } from '../../support/table.js';

const table = new TestTable();
afterAll(() => table.close());

describe('openapi handler (GET /openapi.json)', () => {
  test('answers the committed document, as JSON, without a token, cacheable briefly, without touching the table', async () => {
    const calls = dynamoDbCallCounter();
    calls.reset();

    const result = await invoke<OpenApiDocument>(openapi, { method: 'GET', path: '/openapi.json', role: 'none' });

    expect(result.status).toBe(200);
    expect(String(result.headers['content-type'])).toMatch(/^application\/json/);
    expect(result.headers['cache-control']).toBe('public, max-age=300');
    expect(result.body).toEqual(JSON.parse(committedOpenApiText()));
    expect(Object.keys(result.body.paths)).toEqual(expect.arrayContaining(ROUTES.map((route) => route.path)));
    expect(calls.total()).toBe(0);
  });
});

/**
 * The description is only worth having if the service answers as it says: real handlers, against
 * DynamoDB Local, each answer checked against the schema the served document gives for its route
 * and status.
 */
describe('the handlers answer as the served document describes', () => {
  let schemas: DocumentedSchemas;
  const flag = publicFlag();
  const orgId = uniqueOrgId('contract');
  const checked = new Set<string>();

  /** Invokes a handler and checks its answer against the document; returns it for further checks. */
  async function expectDocumented(handler: HttpLambda, options: HttpEventOptions, status: number): Promise<HttpResult> {
    const result = await invoke(handler, options);
    expect({ route: `${options.method} ${options.path}`, status: result.status }).toEqual({
      route: `${options.method} ${options.path}`,
      status,
    });
    expect(schemas.responseErrors(options.method, options.path, result.status, result.body)).toEqual([]);
    checked.add(`${options.method} ${options.path}`);
    return result;
  }

  beforeAll(async () => {
    const served = await invoke<OpenApiDocument>(openapi, { method: 'GET', path: '/openapi.json', role: 'none' });
    schemas = new DocumentedSchemas(served.body);
  });

  test('a mismatch is found: a body missing a field, or with one the schema does not name', async () => {
    const { body } = await invoke(health, { method: 'GET', path: '/health', role: 'none' });
    expect(schemas.responseErrors('GET', '/health', 200, body)).toEqual([]);
    expect(schemas.responseErrors('GET', '/health', 200, { status: 'ok' })).not.toEqual([]);
    expect(schemas.responseErrors('GET', '/health', 200, { ...body, uptime: 1 })).not.toEqual([]);
    expect(schemas.responseErrors('GET', '/health', 418, body)).toEqual(['GET /health documents no 418 answer']);
  });

  test('the open routes and the registry', async () => {
    await expectDocumented(health, { method: 'GET', path: '/health', role: 'none' }, 200);
    await expectDocumented(openapi, { method: 'GET', path: '/openapi.json', role: 'none' }, 200);
    await expectDocumented(listFlags, { method: 'GET', path: '/feature-flags', role: 'admin' }, 200);
    await expectDocumented(listFlags, { method: 'GET', path: '/feature-flags', role: 'org', orgId }, 200);
  });

  test('provisioning, reading and writing one org, with their errors', async () => {
    const path = { pathParameters: { org_id: orgId } };
    await expectDocumented(provisionOrg, { method: 'POST', path: '/orgs/{org_id}/provision', ...path }, 201);
    await expectDocumented(provisionOrg, { method: 'POST', path: '/orgs/{org_id}/provision', ...path }, 200);
    await expectDocumented(
      provisionOrg,
      { method: 'POST', path: '/orgs/{org_id}/provision', pathParameters: { org_id: 'a b' } },
      400,
    );

    await expectDocumented(
      getOrgFlags,
      { method: 'GET', path: '/org-feature-flags/{org_id}', ...path, role: 'service' },
      200,
    );
    await expectDocumented(
      getOrgFlags,
      { method: 'GET', path: '/org-feature-flags/{org_id}', pathParameters: { org_id: uniqueOrgId() } },
      404,
    );

    const set = (body: unknown, headers: Record<string, string> = {}) => ({
      method: 'POST' as const,
      path: '/org-feature-flags',
      body,
      headers,
    });
    const changed = await expectDocumented(
      setOrgFlag,
      set({ org_id: orgId, key: flag.key, enabled: !flag.default_enabled }),
      200,
    );
    const version = (changed.body.flag as { version: number }).version;
    await expectDocumented(
      setOrgFlag,
      set({ org_id: orgId, key: flag.key, enabled: flag.default_enabled, version: version - 1 }),
      409,
    );
    await expectDocumented(
      setOrgFlag,
      set({ org_id: orgId, key: flag.key, enabled: flag.default_enabled }, { 'if-match': `"${version - 1}"` }),
      412,
    );
    await expectDocumented(setOrgFlag, set({ org_id: orgId, key: 'no-such-flag', enabled: true }), 400);
    await expectDocumented(setOrgFlag, set({ org_id: uniqueOrgId(), key: flag.key, enabled: true }), 404);

    const record = { method: 'GET' as const, path: '/orgs/{org_id}', ...path };
    await expectDocumented(getOrg, record, 200);
    await expectDocumented(getOrg, { ...record, pathParameters: { org_id: uniqueOrgId() } }, 404);
    const attributes = (body: unknown, org = orgId) => ({
      method: 'PUT' as const,
      path: '/orgs/{org_id}/attributes',
      pathParameters: { org_id: org },
      body,
    });
    await expectDocumented(setOrgAttributes, attributes({ attributes: { plan: 'pro', region: 'eu' } }), 200);
    await expectDocumented(setOrgAttributes, attributes({ attributes: { plan: 'platinum' } }), 400);
    await expectDocumented(setOrgAttributes, attributes({ attributes: {} }, uniqueOrgId()), 404);
    await expectDocumented(getOrg, record, 200);

    const one = {
      method: 'GET' as const,
      path: '/org-feature-flags/{org_id}/flags/{key}',
      pathParameters: { org_id: orgId, key: flag.key },
    };
    await expectDocumented(getOrgFlag, one, 200);
    await expectDocumented(getOrgFlag, { ...one, headers: { 'if-none-match': `"${version}"` } }, 304);
  });

  test('the views across orgs and the history', async () => {
    await expectDocumented(
      listOrgs,
      { method: 'GET', path: '/orgs', queryStringParameters: { prefix: 'contract-', limit: '1' } },
      200,
    );
    await expectDocumented(
      listOrgs,
      { method: 'GET', path: '/orgs', queryStringParameters: { prefix: 'contract-', plan: 'pro,enterprise' } },
      200,
    );
    await expectDocumented(listOrgs, { method: 'GET', path: '/orgs', queryStringParameters: { plan: 'gold' } }, 400);
    await expectDocumented(
      listOrgs,
      { method: 'GET', path: '/orgs', queryStringParameters: { cursor: 'not-a-cursor' } },
      400,
    );
    const byFlag = {
      method: 'GET' as const,
      path: '/org-feature-flags/by-flag/{key}',
      pathParameters: { key: flag.key },
    };
    await expectDocumented(listFlagOrgs, { ...byFlag, queryStringParameters: { limit: '2' } }, 200);
    await expectDocumented(listFlagOrgs, { ...byFlag, pathParameters: { key: 'no-such-flag' } }, 400);
    const orgHistory = {
      method: 'GET' as const,
      path: '/org-feature-flags/{org_id}/history',
      pathParameters: { org_id: orgId },
    };
    await expectDocumented(getOrgHistory, orgHistory, 200);
    await expectDocumented(getOrgHistory, { ...orgHistory, pathParameters: { org_id: uniqueOrgId() } }, 404);
    await expectDocumented(
      getFlagHistory,
      {
        method: 'GET',
        path: '/feature-flags/{key}/history',
        pathParameters: { key: flag.key },
        queryStringParameters: { limit: '5' },
      },
      200,
    );
    await expectDocumented(
      bulkSetFlag,
      {
        method: 'POST',
        path: '/feature-flags/{key}/orgs',
        pathParameters: { key: flag.key },
        body: { org_ids: [orgId, uniqueOrgId()], enabled: flag.default_enabled },
      },
      200,
    );
  });

  test('the OpenFeature evaluation routes, with their errors', async () => {
    const one = { method: 'POST' as const, path: '/ofrep/v1/evaluate/flags/{key}', pathParameters: { key: flag.key } };
    await expectDocumented(
      ofrepEvaluateFlag,
      { ...one, role: 'org', orgId, body: { context: { targetingKey: orgId } } },
      200,
    );
    await expectDocumented(ofrepEvaluateFlag, { ...one, body: { context: {} } }, 400);
    await expectDocumented(ofrepEvaluateFlag, { ...one, body: '{"context":' }, 400);
    await expectDocumented(
      ofrepEvaluateFlag,
      { ...one, role: 'service', body: { context: { targetingKey: uniqueOrgId() } } },
      400,
    );
    await expectDocumented(
      ofrepEvaluateFlag,
      { ...one, pathParameters: { key: 'no-such-flag' }, body: { context: { targetingKey: orgId } } },
      404,
    );
    const all = { method: 'POST' as const, path: '/ofrep/v1/evaluate/flags' };
    const answer = await expectDocumented(
      ofrepEvaluateFlags,
      { ...all, role: 'service', body: { context: { targetingKey: orgId } } },
      200,
    );
    await expectDocumented(
      ofrepEvaluateFlags,
      {
        ...all,
        role: 'service',
        body: { context: { targetingKey: orgId } },
        headers: { 'if-none-match': String(answer.headers.etag) },
      },
      304,
    );
    await expectDocumented(
      ofrepEvaluateFlags,
      { ...all, role: 'org', orgId, body: { context: { targetingKey: uniqueOrgId() } } },
      400,
    );
  });

  test('every route but the job and rollout routes was checked here (those are checked in test/unit/domain/responses.test.ts and test/integration/jobs/rollout-handlers.test.ts)', () => {
    const unchecked = ROUTES.map(routeKey).filter((key) => !checked.has(key));
    expect(unchecked.sort()).toEqual([
      'GET /jobs',
      'GET /jobs/{job_id}',
      'GET /rollouts',
      'GET /rollouts/{rollout_id}',
      'GET /rollouts/{rollout_id}/orgs',
      'PATCH /rollouts/{rollout_id}',
      'POST /jobs/{job_id}/resume',
      'POST /jobs/{type}',
      'POST /rollouts',
      'POST /rollouts/{rollout_id}/preview',
    ]);
  });
});
