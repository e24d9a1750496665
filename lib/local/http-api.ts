import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { routeKey, type RouteDeclaration } from '../../lambdas/http/routes.js';

/** A declared route with its path template compiled for matching. */
export interface CompiledRoute {
  readonly route: RouteDeclaration;
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
}

/**
 * Compiles API Gateway path templates (`/orgs/{org_id}/provision`) into matchers, most specific
 * first: as in API Gateway, a literal segment wins over a path parameter at the same place.
 */
export function compileRoutes(routes: readonly RouteDeclaration[]): CompiledRoute[] {
  return [...routes].sort(bySpecificity).map((route) => {
    const parameterNames: string[] = [];
    const source = route.path
      .split('/')
      .map((segment) => {
        const parameter = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
        if (!parameter?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        parameterNames.push(parameter[1]);
        return '([^/]+)';
      })
      .join('/');
    return { route, pattern: new RegExp(`^${source}$`), parameterNames };
  });
}

function bySpecificity(a: RouteDeclaration, b: RouteDeclaration): number {
  const left = a.path.split('/');
  const right = b.path.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const leftIsParameter = left[i]?.startsWith('{') ?? false;
    const rightIsParameter = right[i]?.startsWith('{') ?? false;
    if (leftIsParameter !== rightIsParameter) return leftIsParameter ? 1 : -1;
  }
  return 0;
}

/** The route for a method and raw path, with its path parameters, as API Gateway selects it. */
export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  rawPath: string,
): { route: RouteDeclaration; pathParameters: Record<string, string> } | undefined {
  for (const compiled of routes) {
    if (compiled.route.method !== method) continue;
    const match = compiled.pattern.exec(rawPath);
    if (!match) continue;
    const pathParameters: Record<string, string> = {};
    compiled.parameterNames.forEach((name, index) => {
      const raw = match[index + 1] ?? '';
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });
    return { route: compiled.route, pathParameters };
  }
  return undefined;
}

/** What the local gateway knows of an incoming request. */
export interface IncomingRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

const TEXT_MEDIA = /^(text\/|application\/(json|[\w.+-]+\+json|xml|x-www-form-urlencoded|javascript))/i;

/** Builds the HTTP API (payload format 2.0) event API Gateway would send for this request. */
export function buildHttpApiEvent(
  request: IncomingRequest,
  route: RouteDeclaration,
  pathParameters: Record<string, string>,
  jwt: { claims: Record<string, string>; scopes: string[] } | undefined,
  now: Date = new Date(),
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'cookie') cookies.push(...[value].flat().join('; ').split(/;\s*/).filter(Boolean));
    else headers[lower] = [value].flat().join(',');
  }
  const query = new URLSearchParams(request.rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(query.keys())) queryStringParameters[name] = query.getAll(name).join(',');
  const isText = request.body.length === 0 || TEXT_MEDIA.test(headers['content-type'] ?? '');
  const requestId = randomUUID();
  const event = {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(request.rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      ...(jwt ? { authorizer: { principalId: '', integrationLatency: 0, jwt } } : {}),
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(request.body.length > 0
      ? { body: isText ? request.body.toString('utf8') : request.body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
  };
  return event as APIGatewayProxyEventV2WithJWTAuthorizer;
}

/** A Lambda context for one local invocation of a function. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
