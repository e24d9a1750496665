import { afterAll, describe, expect, test } from '@jest/globals';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { handler as bulkSetFlag } from '../../../lambdas/handlers/bulk-set-flag.js';
import { handler as setOrgFlag } from '../../../lambdas/handlers/set-org-flag.js';
import { SCOPES } from '../../../lambdas/domain/caller.js';
import { appDeps } from '../../../lambdas/shared/deps.js';
import { provisionOrg } from '../../../lambdas/use-cases/flags.js';
import { httpEvent, lambdaContext, uniqueOrgId, type HttpEventOptions } from '../../support/events.js';
import { publicFlag } from '../../support/flags.js';
import { TestTable, type TableItem } from '../../support/table.js';

/*
 * What a person's change records as who made it (docs/architecture.md, "Audit identity"): the
 * token's `sub`, or `client_id` when it has no `sub`, and its `email` beside it when it has one;
 * nothing else of the token. A token that names nobody is refused before anything is written.
 */

const table = new TestTable();
afterAll(() => table.close());

const flag = publicFlag();
const provision = (orgId: string) => provisionOrg(appDeps(), orgId, { actor: 'test:setup', now: new Date() });

/** Sends a request as a token whose verified claims are exactly `claims` (with the admin scope). */
async function as(
  claims: Record<string, string>,
  handler: typeof setOrgFlag,
  options: HttpEventOptions,
): Promise<{ status: number; body: Record<string, unknown>; requestId: string }> {
  const event = httpEvent(options) as APIGatewayProxyEventV2WithJWTAuthorizer;
  event.requestContext.authorizer.jwt = { claims: { ...claims, scope: SCOPES.admin }, scopes: [SCOPES.admin] };
  const answer = await handler(event, lambdaContext());
  return {
    status: answer.statusCode ?? 200,
    body: JSON.parse(answer.body ?? '{}') as Record<string, unknown>,
    requestId: event.requestContext.requestId,
  };
}

const toggle = (orgId: string, enabled: boolean): HttpEventOptions => ({
  method: 'POST',
  path: '/org-feature-flags',
  body: { org_id: orgId, key: flag.key, enabled },
});

const rowOf = async (orgId: string) => (await table.flagRows(orgId)).find((item) => item.key === flag.key) as TableItem;
const historyOf = (orgId: string) => table.partition(`HIST#${orgId}`);

describe('who a change records', () => {
  test("a person's token: its sub, and its email beside it, on the row and the history entry", async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const { status, requestId } = await as(
      { sub: 'f81d4fae-7dec', email: 'ada@example.com', username: 'ada', 'cognito:username': 'ada' },
      setOrgFlag,
      toggle(orgId, !flag.default_enabled),
    );
    expect(status).toBe(200);
    expect(await rowOf(orgId)).toMatchObject({
      source: 'admin',
      updated_by: 'f81d4fae-7dec',
      updated_by_email: 'ada@example.com',
    });
    expect(await historyOf(orgId)).toEqual([
      expect.objectContaining({
        source: 'admin',
        changed_by: 'f81d4fae-7dec',
        changed_by_email: 'ada@example.com',
        request_id: requestId,
      }),
    ]);
  });

  test('a token without email (as Cognito access tokens are): the subject alone, never a username', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    await as({ sub: 'first', email: 'first@example.com' }, setOrgFlag, toggle(orgId, !flag.default_enabled));
    await as(
      { sub: 'f81d4fae-7dec', username: 'ada', 'cognito:username': 'ada' },
      setOrgFlag,
      toggle(orgId, flag.default_enabled),
    );
    const row = await rowOf(orgId);
    expect(row.updated_by).toBe('f81d4fae-7dec');
    expect(row).not.toHaveProperty('updated_by_email');
    const latest = (await historyOf(orgId)).find((entry) => entry.changed_by === 'f81d4fae-7dec');
    expect(latest).toBeDefined();
    expect(latest).not.toHaveProperty('changed_by_email');
  });

  test('a machine token without sub: its client_id', async () => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    await as({ client_id: 'billing-service' }, setOrgFlag, toggle(orgId, !flag.default_enabled));
    expect((await rowOf(orgId)).updated_by).toBe('billing-service');
    expect((await historyOf(orgId))[0]).toMatchObject({ changed_by: 'billing-service' });
  });

  test('a bulk change records the same on every org, all under the one request id', async () => {
    const orgIds = [uniqueOrgId(), uniqueOrgId()];
    for (const orgId of orgIds) await provision(orgId);
    const { status, requestId } = await as({ sub: 'grace-sub', email: 'grace@example.com' }, bulkSetFlag, {
      method: 'POST',
      path: '/feature-flags/{key}/orgs',
      pathParameters: { key: flag.key },
      body: { org_ids: orgIds, enabled: !flag.default_enabled },
    });
    expect(status).toBe(200);
    for (const orgId of orgIds) {
      expect(await rowOf(orgId)).toMatchObject({ updated_by: 'grace-sub', updated_by_email: 'grace@example.com' });
      expect(await historyOf(orgId)).toEqual([
        expect.objectContaining({
          changed_by: 'grace-sub',
          changed_by_email: 'grace@example.com',
          request_id: requestId,
        }),
      ]);
    }
  });

  test.each([
    ['no sub and no client_id', {}],
    ['only an email and a username', { email: 'mallory@example.com', username: 'mallory' }],
  ])('a token that names nobody (%s) is refused with 403; nothing is written', async (_what, claims) => {
    const orgId = uniqueOrgId();
    await provision(orgId);
    const before = await rowOf(orgId);

    const answer = await as(claims, setOrgFlag, toggle(orgId, !flag.default_enabled));

    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('sub') } });
    expect(await rowOf(orgId)).toEqual(before);
    expect(await historyOf(orgId)).toEqual([]);
  });
});
