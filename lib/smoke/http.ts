/** A response with its whole body read, and parsed when it is JSON. */
export interface SmokeResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** The parsed body, or `undefined` when it is empty or not JSON. */
  readonly json: unknown;
}

export interface SmokeRequest {
  /** Sent as `Authorization: Bearer <token>`; none when absent. */
  readonly token?: string;
  /** Sent as is, with `content-type` (default `application/json`). */
  readonly body?: string;
  readonly contentType?: string;
}

/** A request that got no HTTP answer: refused, reset, DNS failure or timeout. The message says which. */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
}

/** Requests to one API base URL (which may carry an API Gateway stage path, e.g. `/prod`). */
export interface SmokeHttp {
  request(method: 'GET' | 'POST', path: string, init?: SmokeRequest): Promise<SmokeResponse>;
}

/** `baseUrl` with its trailing slashes removed; paths are appended to it, so a stage path is kept. */
export function normalizeBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

export function createSmokeHttp(baseUrl: string, timeoutMs: number): SmokeHttp {
  const base = normalizeBaseUrl(baseUrl);
  return {
    async request(method, path, init = {}) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
      if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
      try {
        // The signal covers the whole exchange, reading the body included.
        const response = await fetch(`${base}${path}`, {
          method,
          headers,
          body: init.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        return {
          status: response.status,
          contentType: response.headers.get('content-type') ?? '',
          text,
          json: parseJson(text),
        };
      } catch (error) {
        throw new RequestFailedError(`${method} ${path} ${describeNetworkError(error, timeoutMs)}`);
      }
    },
  };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** "timed out after 10000 ms", "failed: connect ECONNREFUSED 127.0.0.1:3000", ... never a stack trace. */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  // Duck-typed rather than `instanceof`: fetch's errors (a DOMException for the timeout) may come
  // from another realm, as under jest's VM modules.
  const { name, cause } = fieldsOf(error);
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  // fetch rejects with TypeError('fetch failed') and the socket's error as `cause`; for a host with
  // several addresses the cause is an AggregateError with an empty message, a `code` and `errors`.
  return `failed: ${(cause === undefined ? '' : messageOf(cause)) || messageOf(error) || 'unknown network error'}`;
}

interface ErrorFields {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function fieldsOf(error: unknown): ErrorFields {
  return typeof error === 'object' && error !== null ? (error as ErrorFields) : {};
}

function messageOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return error === undefined || error === null ? '' : String(error);
  const { name, message, code, errors } = fieldsOf(error);
  if (typeof message === 'string' && message !== '') return message;
  if (typeof code === 'string') return code;
  const inner = Array.isArray(errors) ? errors.map(messageOf).find(Boolean) : undefined;
  return inner ?? (typeof name === 'string' ? name : '');
}
