import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '../../lib/project.js';
import { registry } from '../support/flags.js';
import { freePort, startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';

/*
 * The provider package's server example (provider/examples/server.ts), run as its comment says,
 * next to the local stack: it answers from its flags, and applies an admin's change within a
 * second through the local bus.
 */

let stack: LocalStackProcess;
let example: ChildProcess | undefined;
let exampleUrl: string;
let admin: string;
let output = '';
const ORG = 'example-acme';
const chat = registry.byKey.get('chat');

beforeAll(async () => {
  stack = await startLocalStackProcess();
  admin = await tokenFor(stack, '--role', 'admin');
  const service = await tokenFor(stack, '--role', 'service');
  expect(
    (
      await fetch(`${stack.url}/orgs/${ORG}/provision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      })
    ).status,
  ).toBe(201);
  const port = await freePort();
  exampleUrl = `http://127.0.0.1:${port}`;
  example = spawn(process.execPath, ['--import', 'tsx', 'provider/examples/server.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      FLAGS_URL: stack.url,
      FLAGS_TOKEN: service,
      FLAGS_LOCAL_EVENTS: '1',
      PORT: String(port),
      DATA_DIR: stack.dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  example.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  example.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes(`listening on ${port}`)) {
    if (example.exitCode !== null || Date.now() > deadline) throw new Error(`the example did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 120_000);

afterAll(async () => {
  if (example && example.exitCode === null) {
    const exited = new Promise((resolve) => example?.once('exit', resolve));
    example.kill('SIGTERM');
    await exited;
  }
  await stack?.stop();
});

const ask = async () =>
  (await (await fetch(`${exampleUrl}/`, { headers: { 'x-org-id': ORG } })).json()) as { orgId: string; chat: boolean };

describe('the provider package server example', () => {
  it("answers from the org's flags and applies a change within a second", async () => {
    if (!chat) throw new Error('the registry has no chat flag, which the example reads');
    expect(await ask()).toMatchObject({ orgId: ORG, chat: chat.default_enabled });
    const response = await fetch(`${stack.url}/org-feature-flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ org_id: ORG, key: 'chat', enabled: !chat.default_enabled }),
    });
    expect(response.status).toBe(200);
    const written = Date.now();
    let seenAfterMs: number | undefined;
    while (Date.now() - written < 5_000) {
      if ((await ask()).chat === !chat.default_enabled) {
        seenAfterMs = Date.now() - written;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seenAfterMs).toBeLessThan(1_000);
    expect(output).not.toMatch(/error|warn/i);
  }, 30_000);
});
