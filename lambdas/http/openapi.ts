import * as z from 'zod/mini';
import packageJson from '../../package.json' with { type: 'json' };
import type { RouteDeclaration, RouteErrors } from './routes.js';
import { SCOPES } from '../domain/caller.js';
import {
  errorSchema,
  gatewayErrorSchema,
  ofrepBulkFailureSchema,
  ofrepEvaluationFailureSchema,
  responseComponents,
} from '../domain/responses.js';

type JsonObject = Record<string, unknown>;

/** An OpenAPI 3.1 document; only the parts the service relies on are typed. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly [field: string]: unknown };
  readonly paths: Record<string, Record<string, JsonObject>>;
  readonly components: JsonObject;
  readonly [field: string]: unknown;
}

const SECURITY_SCHEME = 'bearerAuth';
const JSON_MEDIA = 'application/json';
const COMPONENT_PATH = '#/components/schemas/';

/** zod's ISO timestamps carry a long pattern beside `format: date-time`; the format says it. */
const jsonSchemaOptions = {
  target: 'draft-2020-12',
  override: ({ jsonSchema }: { jsonSchema: JsonObject }) => {
    if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
  },
} as const;

/** A zod schema as an inline JSON Schema (2020-12, OpenAPI 3.1's dialect). */
function jsonSchema(schema: z.core.$ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { ...jsonSchemaOptions, io }) as JsonObject;
  return rest;
}

/** `{ $ref }` to the component of a registered response schema. */
function ref(schema: z.core.$ZodType, what: string): JsonObject {
  const id = responseComponents.get(schema)?.id;
  if (!id) throw new Error(`${what}: its schema is not registered in responseComponents`);
  return { $ref: `${COMPONENT_PATH}${id}` };
}

const jsonContent = (schemas: readonly JsonObject[]) => ({
  [JSON_MEDIA]: { schema: schemas.length === 1 ? schemas[0] : { anyOf: schemas } },
});

const stringHeaders = (headers: Readonly<Record<string, string>>) =>
  Object.fromEntries(
    Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
  );

/** `if-match` → `If-Match`: how the API description names a header (HTTP header names are case-insensitive). */
const headerName = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());

function parameters(route: RouteDeclaration): JsonObject[] {
  const { request } = route;
  const parts = [
    ['path', request.path],
    ['query', request.query],
    ['header', request.headers],
  ] as const;
  return parts.flatMap(([location, schema]) => {
    if (!schema) return [];
    const object = jsonSchema(schema, 'input') as { properties?: Record<string, JsonObject>; required?: string[] };
    return Object.entries(object.properties ?? {}).map(([name, { description, ...property }]) => ({
      name: location === 'header' ? headerName(name) : name,
      in: location,
      required: location === 'path' || (object.required ?? []).includes(name),
      ...(description === undefined ? {} : { description }),
      schema: property,
    }));
  });
}

/** Error answers that come from the gateway or the handler chain, shared by every route they apply to. */
const SHARED_RESPONSES = {
  Unauthorized: {
    description: 'No token, or a bad one (signature, issuer, audience, expiry); answered by the gateway',
    content: jsonContent([ref(gatewayErrorSchema, 'Unauthorized')]),
  },
  Forbidden: {
    description:
      "The token has none of the route's scopes (the gateway), or its role may not do this (`forbidden`), or it has a staff scope and an `org_id` claim (`ambiguous_role`)",
    content: jsonContent([ref(gatewayErrorSchema, 'Forbidden'), ref(errorSchema, 'Forbidden')]),
  },
  PayloadTooLarge: {
    description: 'payload_too_large: the body is over 16 KiB',
    content: jsonContent([ref(errorSchema, 'PayloadTooLarge'), ref(gatewayErrorSchema, 'PayloadTooLarge')]),
  },
  UnsupportedMediaType: {
    description: 'unsupported_media_type: the body is not sent as `application/json`',
    content: jsonContent([ref(errorSchema, 'UnsupportedMediaType')]),
  },
  TooManyRequests: {
    description: "Throttled by the stage's rate limit; answered by the gateway",
    content: jsonContent([ref(gatewayErrorSchema, 'TooManyRequests')]),
  },
  InternalError: {
    description: 'internal_error, with no detail; the cause is in the function log',
    content: jsonContent([ref(errorSchema, 'InternalError'), ref(gatewayErrorSchema, 'InternalError')]),
  },
};

/** The OpenFeature evaluation routes' own answers where they differ from the API's (`lambdas/http/ofrep.ts`). */
const OFREP_RESPONSES = {
  OfrepForbidden: {
    description:
      "The token has none of the route's scopes (the gateway, with its body), or is an org token without its org claim, or a staff token with one (no body)",
    content: jsonContent([ref(gatewayErrorSchema, 'OfrepForbidden')]),
  },
  OfrepTooManyRequests: {
    description:
      "DynamoDB is throttling or unreachable (`GENERAL`, with `Retry-After` in seconds), or the stage's rate limit (the gateway, without it)",
    headers: stringHeaders({ 'Retry-After': 'Seconds to wait before retrying' }),
    content: jsonContent([
      ref(ofrepEvaluationFailureSchema, 'OfrepTooManyRequests'),
      ref(ofrepBulkFailureSchema, 'OfrepTooManyRequests'),
      ref(gatewayErrorSchema, 'OfrepTooManyRequests'),
    ]),
  },
  OfrepInternalError: {
    description: '`GENERAL`, with no detail; the cause is in the function log',
    content: jsonContent([
      ref(ofrepEvaluationFailureSchema, 'OfrepInternalError'),
      ref(ofrepBulkFailureSchema, 'OfrepInternalError'),
      ref(gatewayErrorSchema, 'OfrepInternalError'),
    ]),
  },
};

const sharedResponse = (name: keyof typeof SHARED_RESPONSES | keyof typeof OFREP_RESPONSES) => ({
  $ref: `#/components/responses/${name}`,
});

function responses(route: RouteDeclaration): JsonObject {
  const answers: JsonObject = {};
  for (const success of route.responses) {
    answers[success.status] = {
      description: success.description,
      ...(success.headers ? { headers: stringHeaders(success.headers) } : {}),
      ...(success.body
        ? { content: jsonContent([ref(success.body, `${route.method} ${route.path} ${success.status}`)]) }
        : {}),
    };
  }
  for (const [status, declared] of Object.entries(route.errors) as [string, RouteErrors[keyof RouteErrors]][]) {
    if (declared === undefined) continue;
    const { description, bodies } =
      typeof declared === 'string' ? { description: declared, bodies: [errorSchema] } : declared;
    answers[status] = {
      description,
      ...(status === '503' ? { headers: stringHeaders({ 'Retry-After': 'Seconds to wait before retrying' }) } : {}),
      content: jsonContent(bodies.map((body) => ref(body, `${route.method} ${route.path} ${status}`))),
    };
  }
  if (route.protocol === 'ofrep') {
    // A body over 16 KiB or not JSON is the route's own 400 PARSE_ERROR; only the gateway's limit is a 413.
    Object.assign(answers, {
      401: sharedResponse('Unauthorized'),
      403: sharedResponse('OfrepForbidden'),
      413: sharedResponse('PayloadTooLarge'),
      429: sharedResponse('OfrepTooManyRequests'),
      500: sharedResponse('OfrepInternalError'),
    });
    return answers;
  }
  if (route.scopes.length > 0)
    Object.assign(answers, { 401: sharedResponse('Unauthorized'), 403: sharedResponse('Forbidden') });
  if (route.request.body)
    Object.assign(answers, { 413: sharedResponse('PayloadTooLarge'), 415: sharedResponse('UnsupportedMediaType') });
  Object.assign(answers, { 429: sharedResponse('TooManyRequests'), 500: sharedResponse('InternalError') });
  return answers;
}

/** `list-flag-orgs` → `listFlagOrgs`. */
const operationId = (route: RouteDeclaration) =>
  route.handler.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());

function operation(route: RouteDeclaration): JsonObject {
  const { body, bodyOptional } = route.request;
  return {
    operationId: operationId(route),
    summary: route.summary,
    security: route.scopes.map((scope) => ({ [SECURITY_SCHEME]: [scope] })),
    ...(parameters(route).length > 0 ? { parameters: parameters(route) } : {}),
    ...(body
      ? { requestBody: { required: !bodyOptional, content: { [JSON_MEDIA]: { schema: jsonSchema(body, 'input') } } } }
      : {}),
    responses: responses(route),
  };
}

/** The named schemas every `$ref` points to, without the `$schema` and `$id` zod puts on each. */
function schemaComponents(): JsonObject {
  const { schemas } = z.toJSONSchema(responseComponents, {
    ...jsonSchemaOptions,
    io: 'output',
    uri: (id) => `${COMPONENT_PATH}${id}`,
  }) as {
    schemas: Record<string, JsonObject>;
  };
  return Object.fromEntries(
    Object.entries(schemas)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]),
  );
}

/**
 * The API's OpenAPI 3.1 description, generated from the route declarations and their zod
 * schemas: request schemas as the handlers parse them (`io: 'input'`), response schemas as the
 * use cases return them. A pure function: the same routes always give the same document.
 */
export function openApiDocument(routes: readonly RouteDeclaration[]): OpenApiDocument {
  const ids = new Set<string>();
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const id = operationId(route);
    if (ids.has(id))
      throw new Error(`Two routes are served by the handler ${route.handler}; operation ids must be unique`);
    ids.add(id);
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: packageJson.name,
      version: packageJson.version,
      description: packageJson.description,
      license: { name: packageJson.license, identifier: packageJson.license },
    },
    paths,
    components: {
      schemas: schemaComponents(),
      responses: { ...SHARED_RESPONSES, ...OFREP_RESPONSES },
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            `A JWT of the stage's issuer. A route admits a token that carries any one of the scopes it lists: ` +
            `${SCOPES.admin} (platform staff), ${SCOPES.service} (services: read only), ` +
            `${SCOPES.org} (an org's own token, with an \`org_id\` claim: its own org's non-internal flags only).`,
        },
      },
    },
  };
}

/** The document as `docs/openapi.json` holds it. */
export function serializeOpenApiDocument(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
