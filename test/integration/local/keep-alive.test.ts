import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MAX_BODY_BYTES } from '../../../lambdas/http/request.js';
import { loadOrCreateKeys, signToken } from '../../../lib/local/auth.js';
import { LocalEventBus } from '../../../lib/local/event-bus.js';
import { startLocalServer, type HttpTarget } from '../../../lib/local/server.js';
import { ROUTES } from '../../../lambdas/http/routes.js';

/** Well over the gateway's 10 MB limit, so that much of the body is still unread when the limit is reached. */
const OVERSIZE = 12 * 1024 * 1024;

let server: Awaited<ReturnType<typeof startLocalServer>>;
let dataDir: string;
let token: string;
let connections = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-keep-alive-'));
  const keys = await loadOrCreateKeys(dataDir);
  token = await signToken(keys, { role: 'admin' });
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  const health = ((await import('../../../lambdas/handlers/health.js')) as { handler: HttpTarget }).handler;
  const setOrgFlag = ((await import('../../../lambdas/handlers/set-org-flag.js')) as { handler: HttpTarget }).handler;
  server = await startLocalServer({
    port: 0,
    routes: ROUTES.filter((route) => route.handler === 'health' || route.handler === 'set-org-flag'),
    handlers: { health, 'set-org-flag': setOrgFlag },
    keys,
    bus: new LocalEventBus({ rules: [], targets: {}, deadLetterFile: path.join(dataDir, 'dead-letters.jsonl') }),
  });
  server.server.on('connection', () => connections++);
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
}

/** A request on `agent`; rejects with the socket error (e.g. ECONNRESET) if the connection fails. */
function send(
  agent: Agent,
  method: string,
  urlPath: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Status of each request made one after the other, or the error code of one that failed. */
async function sequence(requests: readonly (() => Promise<{ status: number }>)[]): Promise<(number | string)[]> {
  const outcomes: (number | string)[] = [];
  for (const next of requests) {
    try {
      outcomes.push((await next()).status);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      outcomes.push(cause?.code ?? (error as { code?: string }).code ?? String(error));
    }
  }
  return outcomes;
}

const repeat = <T>(times: number, item: T): T[] => Array.from({ length: times }, () => item);

describe('a keep-alive client after a 413', () => {
  test("node:http Agent: the gateway's 413 for a body over 10 MB, then every following request succeeds on the same connection", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = connections;
    try {
      const outcomes = await sequence([
        () =>
          send(agent, 'POST', '/org-feature-flags', Buffer.alloc(OVERSIZE, 'a'), {
            'content-type': 'application/json',
          }),
        ...repeat(4, () => send(agent, 'GET', '/health')),
      ]);

      expect(outcomes).toEqual([413, 200, 200, 200, 200]);
      expect(connections - before).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  test("fetch (undici's pooled keep-alive connections): the gateway's 413, then every following request succeeds", async () => {
    const get = () =>
      fetch(`${server.url}/health`).then(async (res) => ({ status: res.status, body: await res.text() }));
    const oversize = () =>
      fetch(`${server.url}/org-feature-flags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(OVERSIZE, 'a'),
      }).then(async (res) => ({ status: res.status, body: await res.text() }));

    const outcomes = await sequence([get, oversize, ...repeat(4, get), oversize, get, get]);

    expect(outcomes).toEqual([200, 413, 200, 200, 200, 200, 413, 200, 200]);
  });

  test('a body too large even to discard: the 413 closes the connection, and the next requests succeed on a new one', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = connections;
    try {
      const [huge, ...rest] = await sequence([
        () =>
          send(agent, 'POST', '/org-feature-flags', Buffer.alloc(60 * 1024 * 1024, 'a'), {
            'content-type': 'application/json',
          }),
        ...repeat(3, () => send(agent, 'GET', '/health')),
      ]);

      // The client may still be sending when the server closes, so a reset may beat the 413 to it.
      expect([413, 'ECONNRESET', 'EPIPE']).toContain(huge);
      expect(rest).toEqual([200, 200, 200]);
      expect(connections - before).toBe(2);
    } finally {
      agent.destroy();
    }
  });

  test("the handler's 413 (a JSON body over 16 KiB) keeps the connection usable too", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const tooLarge = Buffer.from(JSON.stringify({ org_id: 'acme', key: 'x'.repeat(MAX_BODY_BYTES), enabled: true }));
    const post = () =>
      send(agent, 'POST', '/org-feature-flags', tooLarge, {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      });
    try {
      const first = await post();
      expect(first.status).toBe(413);
      expect(JSON.parse(first.body)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });

      const outcomes = await sequence([
        ...repeat(3, () => send(agent, 'GET', '/health')),
        post,
        () => send(agent, 'GET', '/health'),
      ]);

      expect(outcomes).toEqual([200, 200, 200, 413, 200]);
    } finally {
      agent.destroy();
    }
  });
});
