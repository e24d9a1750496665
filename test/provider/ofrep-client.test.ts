import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  bulkEvaluationUrl,
  DEFAULT_RETRY_AFTER_MS,
  fetchOrgFlags,
  parseRetryAfter,
  type OfrepClientOptions,
} from '../../provider/src/ofrep-client.js';
import { REGISTRY_VERSION, TOKEN, startFakeService, type FakeService } from './ofrep-server.js';

let service: FakeService;
let options: OfrepClientOptions;

beforeAll(async () => {
  service = await startFakeService({
    acme: { chat: { value: true, own: true, version: 3 }, export: { value: false } },
  });
  options = { baseUrl: service.url, token: TOKEN };
});
afterEach(() => {
  service.override = undefined;
  service.delayMs = 0;
  service.failedKeys = [];
});
afterAll(() => service.stop());

describe('fetchOrgFlags', () => {
  it('posts the org as targeting key with the bearer token and reads every flag, reason, variant and metadata', async () => {
    const result = await fetchOrgFlags(options, 'acme');
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.etag).toBe(service.etagOf('acme'));
    expect(result.flags.get('chat')).toEqual({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      metadata: { is_default: false, source: 'admin', version: 3, registry_version: REGISTRY_VERSION },
    });
    expect(result.flags.get('export')).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      variant: 'off',
      metadata: { is_default: true },
    });
    const request = service.requests.at(-1)!;
    expect(request).toMatchObject({
      orgId: 'acme',
      authorization: `Bearer ${TOKEN}`,
      contentType: 'application/json',
      ifNoneMatch: undefined,
    });
  });

  it('leaves out the keys the service failed to evaluate', async () => {
    service.failedKeys = ['broken'];
    const result = await fetchOrgFlags(options, 'acme');
    expect(result.kind === 'ok' && [...result.flags.keys()].sort()).toEqual(['chat', 'export']);
  });

  it('calls a token function before each request', async () => {
    let calls = 0;
    const result = await fetchOrgFlags(
      {
        ...options,
        token: async () => {
          calls += 1;
          return TOKEN;
        },
      },
      'acme',
    );
    expect(result.kind).toBe('ok');
    expect(calls).toBe(1);
  });

  it('sends If-None-Match and reads 304 as not modified', async () => {
    const result = await fetchOrgFlags(options, 'acme', service.etagOf('acme'));
    expect(result).toEqual({ kind: 'not-modified' });
    expect(service.requests.at(-1)!.ifNoneMatch).toBe(service.etagOf('acme'));
  });

  it('reads a 400 as rejected with its error code and details', async () => {
    expect(await fetchOrgFlags(options, 'nobody')).toEqual({
      kind: 'rejected',
      status: 400,
      errorCode: 'INVALID_CONTEXT',
      errorDetails: 'unknown org nobody',
    });
  });

  it('reads 401 and 403 without a body as rejected', async () => {
    expect(await fetchOrgFlags({ ...options, token: 'wrong' }, 'acme')).toEqual({ kind: 'rejected', status: 401 });
    service.override = { status: 403 };
    expect(await fetchOrgFlags(options, 'acme')).toEqual({ kind: 'rejected', status: 403 });
  });

  it('reads 429 and 503 with Retry-After (seconds or HTTP date) as retry later', async () => {
    service.override = { status: 429, headers: { 'retry-after': '7' } };
    expect(await fetchOrgFlags(options, 'acme')).toEqual({ kind: 'retry-later', status: 429, retryAfterMs: 7_000 });
    service.override = { status: 503, headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } };
    const result = await fetchOrgFlags(options, 'acme');
    expect(result.kind).toBe('retry-later');
    expect(result.kind === 'retry-later' && result.retryAfterMs).toBeGreaterThan(55_000);
    expect(result.kind === 'retry-later' && result.retryAfterMs).toBeLessThanOrEqual(60_000);
    service.override = { status: 429 };
    expect(await fetchOrgFlags(options, 'acme')).toEqual({
      kind: 'retry-later',
      status: 429,
      retryAfterMs: DEFAULT_RETRY_AFTER_MS,
    });
  });

  it('reads other 5xx, a 503 without Retry-After and a body that is not the contract as failed', async () => {
    for (const override of [
      { status: 500 },
      { status: 503 },
      { status: 200, body: 'not json' },
      { status: 200, body: '{"flags":3}' },
    ]) {
      service.override = override;
      const result = await fetchOrgFlags(options, 'acme');
      expect(result.kind).toBe('failed');
    }
  });

  it('fails after the timeout', async () => {
    service.delayMs = 1_000;
    const start = Date.now();
    const result = await fetchOrgFlags({ ...options, timeoutMs: 100 }, 'acme');
    expect(Date.now() - start).toBeLessThan(900);
    expect(result.kind === 'failed' && result.error.message).toBe('request timed out after 100 ms');
  });

  it('fails after the timeout when the token function does not answer', async () => {
    const result = await fetchOrgFlags(
      { ...options, timeoutMs: 100, token: () => new Promise<string>(() => {}) },
      'acme',
    );
    expect(result.kind === 'failed' && result.error.message).toBe('request timed out after 100 ms');
  });

  it('fails when aborted, when the port is closed, and when the token function throws', async () => {
    service.delayMs = 1_000;
    const controller = new AbortController();
    const pending = fetchOrgFlags(options, 'acme', undefined, controller.signal);
    controller.abort();
    expect((await pending).kind).toBe('failed');

    const closed = await startFakeService();
    const url = closed.url;
    await closed.stop();
    expect((await fetchOrgFlags({ ...options, baseUrl: url }, 'acme')).kind).toBe('failed');

    const result = await fetchOrgFlags(
      {
        ...options,
        token: () => {
          throw new Error('no token');
        },
      },
      'acme',
    );
    expect(result.kind === 'failed' && result.error.message).toBe('no token');
  });

  it('sends again when the server closes a kept-alive connection under the request, and only then', async () => {
    // Each connection serves one request; a second request on it finds it closed, as when a
    // server's keep-alive timeout ends just as the client reuses the connection.
    let closed = 0;
    const served = new WeakSet<object>();
    const server: Server = createServer((req, res) => {
      if (served.has(req.socket)) {
        closed += 1;
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      res
        .writeHead(200, { 'content-type': 'application/json', etag: '"e"' })
        .end(JSON.stringify({ flags: [{ key: 'chat', value: true }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const kinds: string[] = [];
      for (let i = 0; i < 6; i++) kinds.push((await fetchOrgFlags({ ...options, baseUrl }, 'acme')).kind);
      expect(kinds).toEqual(Array(6).fill('ok'));
      expect(closed).toBeGreaterThan(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    // A refused connection is not sent again.
    const calls: string[] = [];
    const refused = await fetchOrgFlags(
      {
        ...options,
        fetch: async (input) => (
          calls.push(String(input)),
          Promise.reject(
            new TypeError('fetch failed', {
              cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
            }),
          )
        ),
      },
      'acme',
    );
    expect(refused.kind).toBe('failed');
    expect(calls).toHaveLength(1);
  });

  it('uses the fetch given', async () => {
    const urls: string[] = [];
    const result = await fetchOrgFlags(
      {
        ...options,
        baseUrl: 'https://flags.example.com/',
        fetch: async (input) => {
          urls.push(String(input));
          return new Response(JSON.stringify({ flags: [{ key: 'chat', value: true }] }), {
            status: 200,
            headers: { etag: '"x"' },
          });
        },
      },
      'acme',
    );
    expect(urls).toEqual(['https://flags.example.com/ofrep/v1/evaluate/flags']);
    expect(result).toEqual({ kind: 'ok', etag: '"x"', flags: new Map([['chat', { value: true, metadata: {} }]]) });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('bulkEvaluationUrl', () => {
  it('appends the endpoint to the base URL, with or without a trailing slash', () => {
    expect(bulkEvaluationUrl('https://x.example/api/')).toBe('https://x.example/api/ofrep/v1/evaluate/flags');
    expect(bulkEvaluationUrl('https://x.example')).toBe('https://x.example/ofrep/v1/evaluate/flags');
  });
});
