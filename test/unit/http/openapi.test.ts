import { describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import packageJson from '../../../package.json' with { type: 'json' };
import { SCOPES } from '../../../lambdas/domain/caller.js';
import { openApiDocument, serializeOpenApiDocument, type OpenApiDocument } from '../../../lambdas/http/openapi.js';
import { HANDLERS } from '../../../lib/service/handlers.js';
import { ROUTES, routeKey, type RouteDeclaration } from '../../../lambdas/http/routes.js';
import { DocumentedSchemas, committedOpenApiText } from '../../support/openapi.js';

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: unknown;
}
interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const document = openApiDocument(ROUTES);

async function validate(candidate: unknown) {
  return new Validator().validate(structuredClone(candidate) as Record<string, unknown>);
}

/** Every operation of a document, as `METHOD /path`. */
function operationKeys(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => METHODS.includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

const operationOf = (route: RouteDeclaration) =>
  document.paths[route.path]?.[route.method.toLowerCase()] as unknown as Operation;
const parametersOf = (route: RouteDeclaration, location: string) =>
  (operationOf(route).parameters ?? []).filter((p) => p.in === location);
const keysOf = (schema: { shape: object } | undefined) => Object.keys(schema?.shape ?? {});
const templateParameters = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    expect(await validate(document)).toEqual({ valid: true });
  });

  it('is refused by the validator when broken: an optional path parameter, a $ref to nothing', async () => {
    const optionalPathParameter = structuredClone(document) as unknown as {
      paths: Record<string, Record<string, { parameters: Parameter[] }>>;
    };
    optionalPathParameter.paths['/org-feature-flags/{org_id}']!.get!.parameters[0]!.required = false;
    expect((await validate(optionalPathParameter)).valid).toBe(false);

    const danglingRef = structuredClone(document) as unknown as { components: { schemas: Record<string, unknown> } };
    delete danglingRef.components.schemas.MergedFlag;
    expect((await validate(danglingRef)).valid).toBe(false);
  });

  it('holds only valid JSON Schema 2020-12 schemas (components, parameters, request bodies)', () => {
    const schemas = new DocumentedSchemas(document);
    const all = [
      ...Object.values(document.components.schemas as Record<string, unknown>),
      ...ROUTES.flatMap((route) => [
        ...(operationOf(route).parameters ?? []).map((parameter) => parameter.schema),
        ...Object.values(operationOf(route).requestBody?.content ?? {}).map((media) => media.schema),
      ]),
    ];
    expect(all.length).toBeGreaterThan(ROUTES.length);
    for (const schema of all) expect(schemas.metaSchemaErrors(schema)).toEqual([]);
    expect(schemas.metaSchemaErrors({ type: 'text' })).not.toEqual([]);
  });

  it('has exactly one operation per declared route, and no other', () => {
    expect(operationKeys(document).sort()).toEqual(ROUTES.map(routeKey).sort());
    const [, ...rest] = ROUTES;
    expect(operationKeys(openApiDocument(rest))).not.toContain(routeKey(ROUTES[0]!));
  });

  it('is committed, up to date, as docs/openapi.json (`npm run openapi` writes it)', () => {
    const committed = committedOpenApiText();
    expect(operationKeys(JSON.parse(committed) as OpenApiDocument).sort()).toEqual(ROUTES.map(routeKey).sort());
    expect(committed).toBe(serializeOpenApiDocument(document));
  });

  it('names the package and its version', () => {
    expect(document.info).toEqual(expect.objectContaining({ title: packageJson.name, version: packageJson.version }));
  });

  it('documents every declared request part: path, query and header parameters, and the body', () => {
    for (const route of ROUTES) {
      const { request } = route;
      expect({ route: routeKey(route), path: keysOf(request.path).sort() }).toEqual({
        route: routeKey(route),
        path: templateParameters(route.path).sort(),
      });
      expect(
        parametersOf(route, 'path')
          .map((p) => p.name)
          .sort(),
      ).toEqual(keysOf(request.path).sort());
      for (const parameter of parametersOf(route, 'path')) expect(parameter.required).toBe(true);
      expect(
        parametersOf(route, 'query')
          .map((p) => p.name)
          .sort(),
      ).toEqual(keysOf(request.query).sort());
      expect(
        parametersOf(route, 'header')
          .map((p) => p.name.toLowerCase())
          .sort(),
      ).toEqual(keysOf(request.headers).sort());
      expect(operationOf(route).requestBody?.required).toBe(request.body ? !request.bodyOptional : undefined);
    }
  });

  it('says which query parameters are required and what they default to, as the handlers parse them', () => {
    const listOrgs = ROUTES.find((route) => route.handler === 'list-orgs')!;
    const limit = parametersOf(listOrgs, 'query').find((p) => p.name === 'limit');
    expect(limit).toEqual(
      expect.objectContaining({
        required: false,
        schema: expect.objectContaining({ type: 'integer', default: 50, maximum: 200 }),
      }),
    );
    const setFlag = ROUTES.find((route) => route.handler === 'set-org-flag')!;
    expect(parametersOf(setFlag, 'header')).toEqual([expect.objectContaining({ name: 'If-Match', required: false })]);
    expect(operationOf(setFlag).requestBody?.content['application/json']?.schema).toEqual(
      expect.objectContaining({ required: ['org_id', 'key', 'enabled'], additionalProperties: false }),
    );
  });

  it("lists each route's scopes as alternatives of the bearer scheme, and open routes as open", () => {
    for (const route of ROUTES) {
      expect(operationOf(route).security).toEqual(route.scopes.map((scope) => ({ bearerAuth: [scope] })));
    }
    expect(operationOf(ROUTES.find((route) => route.path === '/health')!).security).toEqual([]);
    expect(operationOf(ROUTES.find((route) => route.handler === 'get-org-flags')!).security).toEqual(
      expect.arrayContaining([{ bearerAuth: [SCOPES.org] }, { bearerAuth: [SCOPES.service] }]),
    );
  });

  it('documents the answers each route can give: its successes, gateway errors where they apply, 503 where it reads the table', () => {
    for (const route of ROUTES) {
      const statuses = Object.keys(operationOf(route).responses).map(Number);
      const key = routeKey(route);
      for (const success of route.responses)
        expect({ key, has: statuses.includes(success.status) }).toEqual({ key, has: true });
      expect({ key, auth: statuses.includes(401) && statuses.includes(403) }).toEqual({
        key,
        auth: route.scopes.length > 0,
      });
      const ofrep = route.protocol === 'ofrep';
      // The OpenFeature routes answer a bad body with their own 400 PARSE_ERROR, and an unavailable table with 429 (OFREP clients back off on it).
      expect({ key, body: statuses.includes(413) && statuses.includes(415) !== ofrep }).toEqual({
        key,
        body: route.request.body !== undefined,
      });
      expect({ key, table: statuses.includes(503) !== ofrep }).toEqual({
        key,
        table: HANDLERS[route.handler].tableAccess !== 'none',
      });
      const reads = [route.request.path, route.request.query, route.request.headers, route.request.body].some(Boolean);
      expect({ key, badInput: statuses.includes(400) }).toEqual({ key, badInput: reads });
      expect(statuses).toEqual(expect.arrayContaining([429, 500]));
    }
  });

  it('gives a version conflict its current state, in the 409 of the body version and the 412 of If-Match', () => {
    const schemas = new DocumentedSchemas(document);
    const conflict = { error: { code: 'version_conflict', message: 'moved on', current_version: 7, current: null } };
    expect(schemas.responseErrors('POST', '/org-feature-flags', 409, conflict)).toEqual([]);
    expect(
      schemas.responseErrors('POST', '/org-feature-flags', 412, {
        error: { ...conflict.error, code: 'precondition_failed' },
      }),
    ).toEqual([]);
    expect(
      schemas.responseErrors('POST', '/org-feature-flags', 412, {
        error: { code: 'precondition_failed', message: 'moved on' },
      }),
    ).not.toEqual([]);
  });

  it('refuses two routes served by one handler (operation ids are handler names)', () => {
    const [first] = ROUTES as [RouteDeclaration];
    expect(() => openApiDocument([first, { ...first, path: '/ready' }])).toThrow(/operation ids must be unique/);
  });
});
