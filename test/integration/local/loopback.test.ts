import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobTask } from '../../../lambdas/domain/job-schemas.js';
import { zeroCounts } from '../../../lambdas/domain/jobs.js';
import { LOCAL_SIGN_IN_PATH, prepareAdminUi } from '../../../lib/local/admin-ui.js';
import { loadOrCreateKeys, signToken } from '../../../lib/local/auth.js';
import { LocalEventBus } from '../../../lib/local/event-bus.js';
import { EventLog } from '../../../lib/local/event-log.js';
import { LocalJobEngine } from '../../../lib/local/job-engine.js';
import { startLocalServer, type HttpTarget } from '../../../lib/local/server.js';
import { JOB_MACHINE, LOCAL_JOB_STATE_MACHINE_ARN } from '../../../lib/service/jobs.js';
import { ROUTES } from '../../../lambdas/http/routes.js';

/*
 * The local stack answers only requests addressed to it by a loopback name and its own port, on
 * every path: a page whose own name was rebound to 127.0.0.1 (DNS rebinding) reaches nothing, and
 * the local sign-in mints tokens only for forms sent from the stack's own loopback origins.
 */

let server: Awaited<ReturnType<typeof startLocalServer>>;
let port: number;
let dataDir: string;
let eventLogFile: string;
let admin: string;
const workerTasks: JobTask[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-loopback-'));
  eventLogFile = path.join(dataDir, 'events.jsonl');
  const keys = await loadOrCreateKeys(dataDir);
  admin = await signToken(keys, { role: 'admin' });
  // One at a time: jest's ESM loader fails on concurrent first imports of shared modules.
  const handlers: Record<string, HttpTarget> = {};
  for (const name of ['health', 'provision-org', 'get-org-flags'] as const) {
    handlers[name] = ((await import(`../../../lambdas/handlers/${name}.js`)) as { handler: HttpTarget }).handler;
  }
  server = await startLocalServer({
    port: 0,
    routes: ROUTES.filter((route) => route.handler in handlers),
    handlers,
    keys,
    bus: new LocalEventBus({
      rules: [],
      targets: {},
      deadLetterFile: path.join(dataDir, 'dead-letters.jsonl'),
      eventLog: new EventLog(eventLogFile),
    }),
    jobs: new LocalJobEngine({
      stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN,
      machine: JOB_MACHINE,
      // The state machine's worker, as the engine would invoke it: here it only records the task.
      worker: async (task) => {
        workerTasks.push(task);
        return { done: true, status: 'succeeded', orgs_done: 0, orgs_total: 0, counts: zeroCounts() };
      },
    }),
    adminUi: await prepareAdminUi({ keys }),
  });
  port = Number(new URL(server.url).port);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request to the server at 127.0.0.1, carrying `host` as its Host header. */
function send(
  host: string,
  method: string,
  pathname: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: pathname, headers: { ...headers, host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const loopbackHosts = () => [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
/** A rebinding page's own name, this port under another name or port, and no port at all. */
const foreignHosts = () => [`rebind.example:${port}`, `localhost:${port + 1}`, 'localhost', `127.0.0.2:${port}`];

const putEvents = (orgId: string) => ({
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
  body: JSON.stringify({
    Entries: [{ Source: 'org-service', DetailType: 'OrgCreated', Detail: JSON.stringify({ org_id: orgId }) }],
  }),
});

const startExecution = (name: string) => ({
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
  body: JSON.stringify({
    stateMachineArn: LOCAL_JOB_STATE_MACHINE_ARN,
    name,
    input: JSON.stringify({ job_id: name }),
  }),
});

const form = (origin?: string) => ({
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    ...(origin === undefined ? {} : { origin }),
  },
  body: new URLSearchParams({ role: 'admin', name: 'mallory' }).toString(),
});

async function eventsLogged(): Promise<string> {
  return readFile(eventLogFile, 'utf8').catch(() => '');
}

function expectMisdirected(answer: Answer): void {
  expect(answer.status).toBe(421);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(JSON.parse(answer.body)).toMatchObject({
    message: 'Misdirected Request',
    error: { code: 'misdirected_request', message: expect.stringContaining(`localhost:${port}`) },
  });
}

describe('the Host the local stack answers to', () => {
  it('answers a request addressed to localhost, 127.0.0.1 or [::1] with its own port', async () => {
    for (const host of loopbackHosts()) expect((await send(host, 'GET', '/health')).status).toBe(200);
  });

  it('refuses another Host on an API route with 421, before the route runs', async () => {
    for (const host of foreignHosts()) {
      expectMisdirected(await send(host, 'GET', '/health'));
      const provision = await send(host, 'POST', '/orgs/rebound-org/provision', { authorization: `Bearer ${admin}` });
      expectMisdirected(provision);
    }
    const after = await send(`localhost:${port}`, 'GET', '/org-feature-flags/rebound-org', {
      authorization: `Bearer ${admin}`,
    });
    expect(after.status).toBe(404);
  });

  it('refuses another Host on the JWKS', async () => {
    expect((await send(`localhost:${port}`, 'GET', '/.well-known/jwks.json')).status).toBe(200);
    for (const host of foreignHosts()) expectMisdirected(await send(host, 'GET', '/.well-known/jwks.json'));
  });

  it('refuses another Host on PutEvents, putting nothing on the bus', async () => {
    for (const host of foreignHosts()) {
      const { headers, body } = putEvents('rebound-org');
      expectMisdirected(await send(host, 'POST', '/', headers, body));
    }
    expect(await eventsLogged()).toBe('');
    const { headers, body } = putEvents('local-org');
    const accepted = await send(`127.0.0.1:${port}`, 'POST', '/', headers, body);
    expect(accepted.status).toBe(200);
    expect(await eventsLogged()).toContain('local-org');
  });

  it('refuses another Host on StartExecution, starting nothing', async () => {
    for (const [index, host] of foreignHosts().entries()) {
      const { headers, body } = startExecution(`rebound-${index}`);
      expectMisdirected(await send(host, 'POST', '/', headers, body));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(workerTasks).toEqual([]);
    const { headers, body } = startExecution('local-run');
    expect((await send(`127.0.0.1:${port}`, 'POST', '/', headers, body)).status).toBe(200);
    for (let wait = 0; workerTasks.length === 0 && wait < 50; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(workerTasks).toEqual([{ action: 'run', job_id: 'local-run' }]);
  });

  it('refuses another Host on the admin UI and its settings', async () => {
    for (const host of foreignHosts()) {
      for (const pathname of ['/', '/admin/', '/admin/config.json']) {
        expectMisdirected(await send(host, 'GET', pathname));
      }
    }
  });

  it('refuses another Host on the local sign-in, minting nothing, even when the form comes from that host', async () => {
    for (const host of foreignHosts()) {
      expectMisdirected(await send(host, 'GET', LOCAL_SIGN_IN_PATH));
      const { headers, body } = form(`http://${host}`);
      const answer = await send(host, 'POST', LOCAL_SIGN_IN_PATH, headers, body);
      expectMisdirected(answer);
      expect(answer.headers.location).toBeUndefined();
    }
  });
});

describe('the origins the local sign-in accepts', () => {
  it('refuses Origin: null (a sandboxed or file: page) with 403, minting nothing', async () => {
    const { headers, body } = form('null');
    const answer = await send(`localhost:${port}`, 'POST', LOCAL_SIGN_IN_PATH, headers, body);
    expect(answer.status).toBe(403);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.body).toContain('The sign-in form must be sent from this page.');
  });

  it('refuses a form from any origin but its own loopback origins', async () => {
    for (const origin of [
      'http://evil.example',
      `http://rebind.example:${port}`,
      `http://localhost:${port + 1}`,
      `https://localhost:${port}`,
      `http://127.0.0.2:${port}`,
    ]) {
      const { headers, body } = form(origin);
      const answer = await send(`localhost:${port}`, 'POST', LOCAL_SIGN_IN_PATH, headers, body);
      expect(answer.status).toBe(403);
      expect(answer.headers.location).toBeUndefined();
    }
  });

  it('accepts a form from any of its loopback origins, whichever of them the form was sent to', async () => {
    for (const origin of loopbackHosts().map((host) => `http://${host}`)) {
      const { headers, body } = form(origin);
      const answer = await send(`127.0.0.1:${port}`, 'POST', LOCAL_SIGN_IN_PATH, headers, body);
      expect(answer.status).toBe(303);
      expect(answer.headers.location).toMatch(/^\/admin\/#signed-in=/);
    }
  });
});
