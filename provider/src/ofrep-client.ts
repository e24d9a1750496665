import type { FlagMetadata, JsonValue } from '@openfeature/server-sdk';
import { isRecord } from './json.js';

/** A bearer token, or a function giving the current one (called before every request, so it may refresh it). */
export type TokenSource = string | (() => string | Promise<string>);

/** Where and how to call the service's OFREP bulk evaluation endpoint. */
export interface OfrepClientOptions {
  /** The service's base URL, e.g. `https://flags.example.com` (the endpoint is `{baseUrl}/ofrep/v1/evaluate/flags`). */
  readonly baseUrl: string;
  readonly token: TokenSource;
  /** How long a request may take, body included. Default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** The `fetch` to use; default the global one. */
  readonly fetch?: typeof fetch;
}

/** Default request timeout, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** How long to wait after a 429 that has no usable `Retry-After`, in milliseconds. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/** One flag of an org, as the service evaluated it. */
export interface OrgFlag {
  readonly value: JsonValue;
  /** `TARGETING_MATCH` (the org has its own row) or `DEFAULT` (the registry's default). */
  readonly reason?: string;
  /** `on` or `off`. */
  readonly variant?: string;
  /** The service's metadata of the flag (`is_default`, `source`, `version`, `registry_version`). */
  readonly metadata: FlagMetadata;
}

/** What one bulk request for an org came to. */
export type OrgFlagsResult =
  /** 200: every flag of the org (keys the service failed to evaluate are left out) and the ETag of that answer. */
  | { readonly kind: 'ok'; readonly etag: string | undefined; readonly flags: Map<string, OrgFlag> }
  /** 304: the flags are those of the ETag sent. */
  | { readonly kind: 'not-modified' }
  /** 400/401/403/404: the service refused the request (400: an unknown org, or one the token may not see). */
  | { readonly kind: 'rejected'; readonly status: number; readonly errorCode?: string; readonly errorDetails?: string }
  /** 429, or 503 with `Retry-After`: no request before `retryAfterMs` from now. */
  | { readonly kind: 'retry-later'; readonly status: number; readonly retryAfterMs: number }
  /** No usable answer: network error, timeout, abort, another status, or a body that is not the contract's. */
  | { readonly kind: 'failed'; readonly error: Error };

/** The bulk evaluation endpoint under `baseUrl`. */
export function bulkEvaluationUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/ofrep/v1/evaluate/flags`;
}

/**
 * Asks the service for every flag of `orgId` (`POST /ofrep/v1/evaluate/flags` with the org as
 * targeting key), conditionally on `etag` when given. Never throws: every outcome is a result.
 */
export async function fetchOrgFlags(
  options: OfrepClientOptions,
  orgId: string,
  etag?: string,
  signal?: AbortSignal,
): Promise<OrgFlagsResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // One controller per request, its timer and its listener on `signal` released as soon as it ends
  // (AbortSignal.any and AbortSignal.timeout would keep both alive for the whole timeout).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`request timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const token =
      typeof options.token === 'function'
        ? await untilAborted(Promise.resolve(options.token()), controller.signal)
        : options.token;
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (etag !== undefined) headers['if-none-match'] = etag;
    const send = () =>
      (options.fetch ?? fetch)(bulkEvaluationUrl(options.baseUrl), {
        method: 'POST',
        headers,
        body: JSON.stringify({ context: { targetingKey: orgId } }),
        signal: controller.signal,
      });
    // A kept-alive connection the server closed as the request went out: fetch does not send a
    // POST again by itself, and an evaluation changes nothing, so it is sent again (on another
    // connection), up to CLOSED_CONNECTION_ATTEMPTS times in all.
    for (let attempt = 1; ; attempt++) {
      try {
        return await readResponse(await send());
      } catch (error) {
        if (attempt >= CLOSED_CONNECTION_ATTEMPTS || !isClosedConnection(error) || controller.signal.aborted)
          throw error;
      }
    }
  } catch (error) {
    if (timedOut)
      return { kind: 'failed', error: new Error(`request timed out after ${timeoutMs} ms`, { cause: error }) };
    return { kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

const CLOSED_CONNECTION_ATTEMPTS = 3;
const CLOSED_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** Whether `fetch` failed because the connection was closed under the request (not refused, not timed out). */
function isClosedConnection(error: unknown): boolean {
  // Duck-typed: the error may come from another realm than this module's Error (a test VM, for one).
  const cause =
    typeof error === 'object' && error !== null
      ? ((error as { cause?: { code?: unknown } }).cause ?? undefined)
      : undefined;
  return typeof cause?.code === 'string' && CLOSED_CONNECTION_CODES.has(cause.code);
}

/** `promise`, or a rejection as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function readResponse(response: Response): Promise<OrgFlagsResult> {
  const { status } = response;
  if (status === 200) {
    const body: unknown = await response.json();
    return { kind: 'ok', etag: response.headers.get('etag') ?? undefined, flags: parseFlags(body) };
  }
  if (status === 304) {
    await discard(response);
    return { kind: 'not-modified' };
  }
  if (status === 400 || status === 401 || status === 403 || status === 404) {
    const text = await response.text();
    const body = parseJson(text);
    const errorCode = stringField(body, 'errorCode');
    const errorDetails = stringField(body, 'errorDetails');
    return {
      kind: 'rejected',
      status,
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(errorDetails === undefined ? {} : { errorDetails }),
    };
  }
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  await discard(response);
  if (status === 429) return { kind: 'retry-later', status, retryAfterMs: retryAfter ?? DEFAULT_RETRY_AFTER_MS };
  if (status === 503 && retryAfter !== undefined) return { kind: 'retry-later', status, retryAfterMs: retryAfter };
  return { kind: 'failed', error: new Error(`the service answered ${status}`) };
}

/**
 * A `Retry-After` header value (delay in seconds, or an HTTP date) as milliseconds from `now`;
 * undefined when absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function parseFlags(body: unknown): Map<string, OrgFlag> {
  if (!isRecord(body) || !Array.isArray(body.flags)) throw new Error('the answer has no "flags" array');
  const flags = new Map<string, OrgFlag>();
  for (const item of body.flags as unknown[]) {
    if (!isRecord(item) || typeof item.key !== 'string') continue;
    if (item.errorCode !== undefined || item.value === undefined) continue;
    const reason = stringField(item, 'reason');
    const variant = stringField(item, 'variant');
    flags.set(item.key, {
      value: item.value as JsonValue,
      ...(reason === undefined ? {} : { reason }),
      ...(variant === undefined ? {} : { variant }),
      metadata: flagMetadata(item.metadata),
    });
  }
  return flags;
}

/** The entries of `value` that flag metadata can hold (strings, numbers, booleans). */
function flagMetadata(value: unknown): FlagMetadata {
  const metadata: FlagMetadata = {};
  if (!isRecord(value)) return metadata;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') metadata[key] = item;
  }
  return metadata;
}

function stringField(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const field = value[key];
  return typeof field === 'string' ? field : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // nothing to free
  }
}
