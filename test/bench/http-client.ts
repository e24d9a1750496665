import { Agent, request } from 'node:http';

/** A response with its whole body read. */
export interface HttpResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A keep-alive HTTP client for one origin, sending one bearer token with every request. */
export interface HttpClient {
  send(
    method: 'GET' | 'POST',
    path: string,
    payload?: unknown,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<HttpResponse>;
  /** Like `send`, but throws unless the status is 2xx; resolves with the parsed JSON body. */
  json<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T>;
  close(): void;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Returns the response when its status is 2xx; throws naming `what`, the status and the body's start otherwise. */
export function assertOk(response: HttpResponse, what: string): HttpResponse {
  if (response.status >= 200 && response.status <= 299) return response;
  throw new Error(`${what}: HTTP ${response.status} ${response.body.slice(0, 200)}`);
}

/** Opens at most `connections` keep-alive sockets to `baseUrl`, reused across requests. */
export function createHttpClient(baseUrl: string, token: string, connections: number): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const { hostname, port } = new URL(baseUrl);

  const send = (
    method: 'GET' | 'POST',
    path: string,
    payload?: unknown,
    extraHeaders: Readonly<Record<string, string>> = {},
    retried = false,
  ): Promise<HttpResponse> =>
    new Promise((resolve, reject) => {
      const body = payload === undefined ? undefined : JSON.stringify(payload);
      const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, ...extraHeaders };
      if (body !== undefined)
        Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      const req = request({ agent, hostname, port, method, path, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
        );
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed while it sat idle: Node's advice is to send again, once.
        if (req.reusedSocket && error.code === 'ECONNRESET' && !retried)
          send(method, path, payload, extraHeaders, true).then(resolve, reject);
        else reject(error);
      });
      req.end(body);
    });

  return {
    send,
    async json<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
      return JSON.parse(assertOk(await send(method, path, payload), `${method} ${path}`).body) as T;
    },
    close: () => agent.destroy(),
  };
}
