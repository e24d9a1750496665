import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { timeoutSecondsOf, type HandlerName } from '../service/handlers.js';
import { corsHeaders } from '../service/cors.js';
import type { RouteDeclaration } from '../../lambdas/http/routes.js';
import type { LocalAdminUi } from './admin-ui.js';
import { authorize, type LocalKeys } from './auth.js';
import type { LocalEventBus } from './event-bus.js';
import type { LocalJobEngine } from './job-engine.js';
import { buildHttpApiEvent, compileRoutes, lambdaContext, matchRoute } from './http-api.js';
import { isLoopbackHost, loopbackHosts } from './loopback.js';

/** A loaded Lambda handler of an HTTP route. */
export type HttpTarget = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

/** What the local gateway serves. */
export interface LocalServerOptions {
  readonly port: number;
  readonly host?: string;
  /** Origins whose pages may call the API (CORS); none when empty or absent. */
  readonly corsAllowOrigins?: readonly string[];
  readonly routes: readonly RouteDeclaration[];
  readonly handlers: Readonly<Partial<Record<HandlerName, HttpTarget>>>;
  readonly keys: LocalKeys;
  readonly bus: LocalEventBus;
  /** Serves Step Functions' StartExecution when given. */
  readonly jobs?: LocalJobEngine;
  /** Serves the admin UI under `/admin/` (and redirects `/` there) when given. */
  readonly adminUi?: LocalAdminUi;
  readonly log?: (line: string) => void;
}

/** API Gateway's payload limit for HTTP APIs. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/**
 * How much of an oversize body is read and thrown away so that the connection stays usable; past
 * that, the 413 closes the connection.
 */
const MAX_DISCARDED_BYTES = 4 * MAX_REQUEST_BYTES;
const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';
const START_EXECUTION_TARGET = 'AWSStepFunctions.StartExecution';

/**
 * The local API Gateway and EventBridge endpoint on one port: declared routes behind the JWT
 * authorizer, invoking the real handlers with payload 2.0 events; `POST /` with
 * `X-Amz-Target: AWSEvents.PutEvents` to the local bus; the JWKS at `/.well-known/jwks.json`.
 * Every path answers only requests addressed to a loopback name and this port
 * (`lib/local/loopback.ts`); any other `Host` gets 421 before anything else is done.
 */
export async function startLocalServer(
  options: LocalServerOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const routes = compileRoutes(options.routes);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log?.(`[api] ${req.method} ${req.url} failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    res.on('finish', () =>
      options.log?.(`[api] ${method} ${url.pathname} ${res.statusCode} ${Date.now() - started}ms`),
    );
    const port = req.socket.localPort ?? 0;
    if (!isLoopbackHost(req.headers.host, port)) {
      const hosts = loopbackHosts(port).join(', ');
      send(
        res,
        421,
        gatewayError(
          'Misdirected Request',
          'misdirected_request',
          `This local stack answers only requests addressed to one of ${hosts}.`,
        ),
        { connection: 'close' },
      );
      return;
    }
    const body = await readBody(req);
    if (body === 'too-large' || body === 'far-too-large') {
      const headers: Record<string, string> = body === 'far-too-large' ? { connection: 'close' } : {};
      send(
        res,
        413,
        gatewayError('Request Entity Too Large', 'payload_too_large', 'The request is larger than 10 MB.'),
        headers,
      );
      return;
    }

    const target = req.headers['x-amz-target'];
    if (method === 'POST' && url.pathname === '/' && target !== undefined) {
      if (target === START_EXECUTION_TARGET && options.jobs) startExecution(res, options.jobs, body);
      else putEvents(res, target, body);
      return;
    }
    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      send(res, 200, { keys: [options.keys.publicJwk] });
      return;
    }
    if (options.adminUi && (await options.adminUi.handle(req, res, url, body))) return;

    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const preflight = method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    const cors = corsHeaders(origin, options.corsAllowOrigins ?? [], preflight);
    if (preflight && Object.keys(cors).length > 0) {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);

    const matched = matchRoute(routes, method, url.pathname);
    if (!matched) {
      send(res, 404, gatewayError('Not Found', 'not_found', `No route ${method} ${url.pathname}.`));
      return;
    }
    let jwt: { claims: Record<string, string>; scopes: string[] } | undefined;
    if (matched.route.scopes.length > 0) {
      const auth = await authorize(options.keys, req.headers.authorization, matched.route.scopes);
      if (!auth.ok) {
        const [message, code] = auth.status === 401 ? ['Unauthorized', 'unauthorized'] : ['Forbidden', 'forbidden'];
        const headers: Record<string, string> = auth.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
        send(res, auth.status, gatewayError(message, code, `${message}: ${auth.reason}.`), headers);
        return;
      }
      jwt = { claims: auth.claims, scopes: auth.scopes };
    }
    const handler = options.handlers[matched.route.handler];
    if (!handler) throw new Error(`No handler loaded for ${matched.route.handler}`);
    const event = buildHttpApiEvent(
      {
        method,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: req.headers,
        body,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      },
      matched.route,
      matched.pathParameters,
      jwt,
    );
    const result = await handler(
      event,
      lambdaContext(matched.route.handler, timeoutSecondsOf(matched.route.handler) * 1000),
    );
    if (!result || typeof result.statusCode !== 'number')
      throw new Error(`${matched.route.handler} returned no response`);
    res.writeHead(result.statusCode, result.headers as Record<string, string>);
    res.end(
      result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'),
    );
  }

  function putEvents(res: ServerResponse, target: string | string[], body: Buffer): void {
    if (target !== PUT_EVENTS_TARGET) {
      send(
        res,
        400,
        {
          __type: 'UnknownOperationException',
          message: `The local endpoint implements only ${PUT_EVENTS_TARGET} and ${START_EXECUTION_TARGET}.`,
        },
        { 'content-type': 'application/x-amz-json-1.1' },
      );
      return;
    }
    awsJson(res, '1.1', body, (request) => options.bus.putEvents(request));
  }

  function startExecution(res: ServerResponse, jobs: LocalJobEngine, body: Buffer): void {
    awsJson(res, '1.0', body, (request) => jobs.startExecution(request));
  }

  /** An AWS JSON protocol call: the body parsed, the operation run, its result or error sent. */
  function awsJson<R>(
    res: ServerResponse,
    version: '1.0' | '1.1',
    body: Buffer,
    operation: (request: unknown) => { ok: true; response: R } | { ok: false; code: string; message: string },
  ): void {
    const headers = { 'content-type': `application/x-amz-json-${version}` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      send(res, 400, { __type: 'SerializationException', message: 'The request body is not valid JSON.' }, headers);
      return;
    }
    const result = operation(parsed);
    if (!result.ok) send(res, 400, { __type: result.code, message: result.message }, headers);
    else send(res, 200, result.response, headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** API Gateway's own error bodies carry `message`; `error` adds the service's error contract. */
function gatewayError(message: string, code: string, detail: string) {
  return { message, error: { code, message: detail } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The whole body, or why not. An oversize body is read to its end and discarded (`too-large`), so
 * that the next request of a keep-alive client finds the connection at a request boundary; one
 * larger still is left unread (`far-too-large`) and the connection is closed after the answer.
 */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large' | 'far-too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
      else if (size > MAX_REQUEST_BYTES + MAX_DISCARDED_BYTES) {
        req.off('data', onData).off('end', onEnd);
        resolve('far-too-large');
      } else chunks.length = 0;
    };
    const onEnd = () => resolve(size > MAX_REQUEST_BYTES ? 'too-large' : Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}
