import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { documentClient } from '../../lambdas/adapters/dynamodb-client.js';
import { ORG_CLAIM, SCOPES } from '../../lambdas/domain/caller.js';
import { DEFAULT_ORG_EVENT_SOURCE, ORG_CREATED } from '../../lambdas/domain/events.js';
import type { EventBridgeEvent as DeliveredEvent } from '../../lib/local/put-events.js';

/** Who calls: a role's scope in the token, or no authorizer at all (`none`). */
export type TestRole = 'admin' | 'service' | 'org' | 'none';

/** Subjects (`sub` claims) of the test tokens, per role. */
export const SUBJECTS = {
  admin: 'admin-user-1',
  service: 'service-client-1',
  org: 'org-user-1',
} as const;

export interface HttpEventOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** The route's path template, API Gateway syntax: `/org-feature-flags/{org_id}`. */
  path: string;
  pathParameters?: Record<string, string>;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  /** Extra headers (lowercase, as HTTP APIs deliver them); `content-type` defaults to JSON when a body is given. */
  headers?: Record<string, string>;
  role?: TestRole;
  /** The `org_id` claim of an org token. */
  orgId?: string;
  /** Overrides the token's `sub` claim. */
  sub?: string;
  /** An `email` claim, as ID-token-like access tokens of some providers carry. */
  email?: string;
  queryStringParameters?: Record<string, string>;
  isBase64Encoded?: boolean;
}

/**
 * An API Gateway HTTP API (payload format 2.0) event as the JWT authorizer hands it to a Lambda:
 * the verified claims (`sub`, space-separated `scope`, `org_id` for org tokens) and scopes.
 */
export function httpEvent(options: HttpEventOptions): APIGatewayProxyEventV2WithJWTAuthorizer {
  const role = options.role ?? 'admin';
  const pathParameters = options.pathParameters;
  const rawPath = options.path.replace(/\{([^}]+)\}/g, (_match, name: string) =>
    encodeURIComponent(pathParameters?.[name] ?? ''),
  );
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const now = new Date();
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'user-agent': 'jest-integration',
    'x-forwarded-for': '203.0.113.10',
    'x-forwarded-proto': 'https',
    ...(body !== undefined
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
      : {}),
    ...(role !== 'none' ? { authorization: `Bearer test-token-${role}` } : {}),
    ...options.headers,
  };
  const rawQueryString = new URLSearchParams(options.queryStringParameters ?? {}).toString();
  const requestContext = {
    accountId: '123456789012',
    apiId: 'abc123',
    domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'abc123',
    http: {
      method: options.method,
      path: rawPath,
      protocol: 'HTTP/1.1',
      sourceIp: '203.0.113.10',
      userAgent: 'jest-integration',
    },
    requestId,
    routeKey: `${options.method} ${options.path}`,
    stage: '$default',
    time: now.toISOString(),
    timeEpoch: now.getTime(),
    ...(role === 'none' ? {} : { authorizer: jwtAuthorizer(role, options) }),
  };
  return {
    version: '2.0',
    routeKey: `${options.method} ${options.path}`,
    rawPath,
    rawQueryString,
    headers,
    ...(options.queryStringParameters ? { queryStringParameters: options.queryStringParameters } : {}),
    requestContext: requestContext as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'],
    ...(body !== undefined ? { body } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

function jwtAuthorizer(role: Exclude<TestRole, 'none'>, options: HttpEventOptions) {
  const scopes = [SCOPES[role]];
  const issuedAt = Math.floor(Date.now() / 1000);
  const claims: Record<string, string | number> = {
    iss: 'https://issuer.example.test/',
    sub: options.sub ?? SUBJECTS[role],
    aud: 'org-feature-flags',
    iat: issuedAt,
    exp: issuedAt + 3600,
    scope: scopes.join(' '),
    ...(role === 'org' && options.orgId !== undefined ? { [ORG_CLAIM]: options.orgId } : {}),
    ...(options.email !== undefined ? { email: options.email } : {}),
  };
  return { principalId: '', integrationLatency: 0, jwt: { claims, scopes } };
}

/**
 * An EventBridge event as a rule delivers it to its target, loosened so tests can also build
 * malformed ones; `OrgCreated` from the org service by default.
 */
export type EventBridgeEvent = Omit<DeliveredEvent, 'version' | 'detail'> & {
  version: string;
  detail: unknown;
  [field: string]: unknown;
};

export function eventBridgeEvent(detail: unknown, overrides: Partial<EventBridgeEvent> = {}): EventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': ORG_CREATED,
    source: DEFAULT_ORG_EVENT_SOURCE,
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail,
    ...overrides,
  };
}

/** A Lambda context as the runtime passes it. */
export function lambdaContext(functionName = 'org-feature-flags-test'): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A fresh, valid org id (letters, digits, `-`), so that tests sharing the table never collide. */
export function uniqueOrgId(prefix = 'org'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Counts the commands sent through one DynamoDB client, by command name (e.g. `QueryCommand`). */
export interface DynamoDbCallCounter {
  reset(): void;
  /** Calls since the last reset, by command name. */
  counts(): Record<string, number>;
  total(): number;
}

const counters = new WeakMap<DynamoDBDocumentClient, DynamoDbCallCounter>();

/**
 * Attaches a counting middleware (step `initialize`, so once per `send`, not per retry) to the
 * client the handlers share (`documentClient()`), or to the given one. Idempotent per client.
 */
export function dynamoDbCallCounter(client: DynamoDBDocumentClient = documentClient()): DynamoDbCallCounter {
  const existing = counters.get(client);
  if (existing) return existing;
  let calls: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls[name] = (calls[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'integrationTestCallCounter', override: true },
  );
  const counter: DynamoDbCallCounter = {
    reset: () => {
      calls = {};
    },
    counts: () => ({ ...calls }),
    total: () => Object.values(calls).reduce((sum, n) => sum + n, 0),
  };
  counters.set(client, counter);
  return counter;
}
