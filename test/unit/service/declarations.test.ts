import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { SCOPES } from '../../../lambdas/domain/caller.js';
import { validateEventPattern } from '../../../lib/local/event-pattern.js';
import { HANDLERS, handlerEntryPath, type HandlerName } from '../../../lib/service/handlers.js';
import { ROUTES, routeKey } from '../../../lambdas/http/routes.js';
import { eventRules } from '../../../lib/service/rules.js';
import { FLAG_TABLE, createTableInput } from '../../../lib/service/table.js';

describe('the service declarations', () => {
  it('name an existing entry file for every handler', () => {
    for (const name of Object.keys(HANDLERS) as HandlerName[]) expect(existsSync(handlerEntryPath(name))).toBe(true);
  });

  it('declare each route once, with only /health and /openapi.json open and writes for admins only (evaluations, read-only POSTs, for every role)', () => {
    const keys = ROUTES.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(ROUTES.filter((route) => route.scopes.length === 0).map(routeKey)).toEqual([
      'GET /health',
      'GET /openapi.json',
    ]);
    // OpenFeature's evaluations are POSTs that only read: any role may call them, and their functions may not write.
    const evaluations = ROUTES.filter((route) => route.protocol === 'ofrep');
    expect(evaluations.map(routeKey)).toEqual(['POST /ofrep/v1/evaluate/flags/{key}', 'POST /ofrep/v1/evaluate/flags']);
    for (const route of evaluations) expect(HANDLERS[route.handler].tableAccess).toBe('read');
    for (const route of ROUTES.filter((r) => r.method === 'POST' && r.protocol !== 'ofrep'))
      expect(route.scopes).toEqual([SCOPES.admin]);
  });

  it('give a function with no table access to every route that never touches the table', () => {
    expect(HANDLERS.health.tableAccess).toBe('none');
    expect(HANDLERS['list-flags'].tableAccess).toBe('none');
    expect(HANDLERS['get-org-flags'].tableAccess).toBe('read');
  });

  it('declare well-formed event rules whose pattern follows the configured source', () => {
    const rules = eventRules({ orgEventSource: 'signup' });
    for (const rule of rules) {
      expect(validateEventPattern(rule.pattern)).toEqual([]);
      expect(Object.keys(HANDLERS)).toContain(rule.target);
    }
    expect(rules[0]?.pattern).toEqual({ source: ['signup'], 'detail-type': ['OrgCreated'] });
  });

  it('build a CreateTable request with every key attribute defined once', () => {
    const input = createTableInput('t');
    const names = input.AttributeDefinitions?.map((a) => a.AttributeName);
    expect(names).toEqual(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']);
    expect(input.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(
      FLAG_TABLE.globalSecondaryIndexes.map((i) => i.indexName),
    );
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
  });
});
