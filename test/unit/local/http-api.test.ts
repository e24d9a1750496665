import { describe, expect, it } from '@jest/globals';
import { buildHttpApiEvent, compileRoutes, matchRoute } from '../../../lib/local/http-api.js';
import { ROUTES } from '../../../lambdas/http/routes.js';

const routes = compileRoutes(ROUTES);

describe('route matching', () => {
  it('selects a route by method and path template and decodes path parameters', () => {
    expect(matchRoute(routes, 'GET', '/org-feature-flags/acme%2Dco')).toMatchObject({
      route: { handler: 'get-org-flags' },
      pathParameters: { org_id: 'acme-co' },
    });
    expect(matchRoute(routes, 'POST', '/orgs/acme/provision')?.route.handler).toBe('provision-org');
    expect(matchRoute(routes, 'POST', '/org-feature-flags')?.route.handler).toBe('set-org-flag');
  });

  it('matches nothing for another method, a longer path or an empty parameter', () => {
    expect(matchRoute(routes, 'DELETE', '/org-feature-flags/acme')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/org-feature-flags/acme/extra')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/org-feature-flags/')).toBeUndefined();
  });

  it('prefers a literal segment over a parameter, whatever the declaration order, as API Gateway does', () => {
    const reversed = compileRoutes([...ROUTES].reverse());
    for (const compiled of [routes, reversed]) {
      expect(matchRoute(compiled, 'GET', '/org-feature-flags/by-flag/history')).toMatchObject({
        route: { handler: 'list-flag-orgs' },
        pathParameters: { key: 'history' },
      });
      expect(matchRoute(compiled, 'GET', '/org-feature-flags/acme/history')).toMatchObject({
        route: { handler: 'get-org-history' },
        pathParameters: { org_id: 'acme' },
      });
    }
  });

  it('keeps a parameter that is not valid percent-encoding as it came', () => {
    expect(matchRoute(routes, 'GET', '/org-feature-flags/%E0%A4%A')?.pathParameters.org_id).toBe('%E0%A4%A');
  });
});

describe('the payload 2.0 event', () => {
  const route = ROUTES.find((r) => r.handler === 'set-org-flag')!;

  it('carries what API Gateway sends: route key, lowercased headers, cookies, query, JWT claims and scopes', () => {
    const event = buildHttpApiEvent(
      {
        method: 'POST',
        rawPath: '/org-feature-flags',
        rawQueryString: 'a=1&a=2&b=x',
        headers: { 'Content-Type': 'application/json', cookie: 'c1=v1; c2=v2', 'X-Multi': ['one', 'two'] },
        body: Buffer.from('{"x":1}'),
        sourceIp: '127.0.0.1',
      },
      route,
      {},
      { claims: { sub: 'someone' }, scopes: ['feature-flags/admin'] },
    );
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /org-feature-flags',
      headers: { 'content-type': 'application/json', 'x-multi': 'one,two' },
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { a: '1,2', b: 'x' },
      body: '{"x":1}',
      isBase64Encoded: false,
      requestContext: {
        authorizer: { jwt: { claims: { sub: 'someone' }, scopes: ['feature-flags/admin'] } },
        http: { method: 'POST' },
      },
    });
  });

  it('base64-encodes a body that is not text, as API Gateway does', () => {
    const event = buildHttpApiEvent(
      {
        method: 'POST',
        rawPath: '/org-feature-flags',
        rawQueryString: '',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 1, 2]),
        sourceIp: '::1',
      },
      route,
      {},
      undefined,
    );
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(Buffer.from([0, 1, 2]).toString('base64'));
    expect(event.requestContext.authorizer).toBeUndefined();
  });
});
