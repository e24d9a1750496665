import { randomUUID } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FeatureFlagChangedDetail } from '../../lambdas/domain/change-events.js';
import { enginesOn, OWNER_FILE } from '../../lib/local/stale-engine.js';
import type { EventBridgeEvent } from '../../lib/local/put-events.js';
import { loadRegistry } from '../../registry/index.js';
import {
  copyProject,
  startLocalStackProcess,
  tokenFor,
  type LocalStackProcess,
} from '../support/local-stack-process.js';

/*
 * FeatureFlagChanged as a user of `npm start` sees it: changes written over HTTP, their events in
 * DATA_DIR/events.jsonl; then the stack killed with SIGKILL right after a write, and started again
 * on the same data.
 */

const registry = loadRegistry();
const [first, second] = registry.flags.map((flag) => flag.key) as [string, string];

let root: string;
let dataDir: string;
let stack: LocalStackProcess;
let admin: string;

interface SetFlagAnswer {
  changed: boolean;
  previous_enabled: boolean;
  flag: { key: string; user_enabled: boolean; version: number };
}

async function call<T>(pathname: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const setFlag = async (orgId: string, key: string, enabled: boolean) => {
  const answer = await call<SetFlagAnswer>('/org-feature-flags', 'POST', { org_id: orgId, key, enabled });
  expect(answer.status).toBe(200);
  return answer.body;
};

async function provision(orgId: string): Promise<void> {
  expect((await call(`/orgs/${orgId}/provision`, 'POST')).status).toBe(201);
}

/** Every FeatureFlagChanged the local bus recorded, oldest first. */
async function changeEvents(): Promise<(EventBridgeEvent & { detail: FeatureFlagChangedDetail })[]> {
  const text = await readFile(path.join(dataDir, 'events.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
    .filter((event) => event['detail-type'] === 'FeatureFlagChanged');
}
const eventsOf = async (orgId: string) => (await changeEvents()).filter((event) => event.detail.org_id === orgId);

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Long enough for the stream reader (which polls every 200 ms) to have published anything left. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

const dbPath = () => path.join(dataDir, 'dynamodb');

beforeAll(async () => {
  root = await copyProject();
  dataDir = await mkdtemp(path.join(tmpdir(), 'off-change-events-'));
  stack = await startLocalStackProcess({ root, dataDir });
  admin = await tokenFor(stack, '--role', 'admin');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(root, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('FeatureFlagChanged on the local stack', () => {
  let steadyOrg: string;

  it('publishes exactly one event per committed change, in order, and none for a write that changes nothing', async () => {
    steadyOrg = `e2e-${randomUUID().slice(0, 8)}`;
    await provision(steadyOrg);
    const answers = [
      await setFlag(steadyOrg, first, true),
      await setFlag(steadyOrg, first, true),
      await setFlag(steadyOrg, first, false),
      await setFlag(steadyOrg, second, true),
      await setFlag(steadyOrg, second, false),
    ];
    const committed = answers.filter((answer) => answer.changed);
    expect(committed.length).toBeGreaterThanOrEqual(3);

    await waitFor(
      async () => ((await eventsOf(steadyOrg)).length >= committed.length ? true : undefined),
      'the events of the committed changes',
    );
    await settle();
    const events = await eventsOf(steadyOrg);
    expect(
      events.map((event) => ({
        key: event.detail.key,
        enabled: event.detail.enabled,
        previous_enabled: event.detail.previous_enabled,
        version: event.detail.version,
      })),
    ).toEqual(
      committed.map((answer) => ({
        key: answer.flag.key,
        enabled: answer.flag.user_enabled,
        previous_enabled: answer.previous_enabled,
        version: answer.flag.version,
      })),
    );
    expect(new Set(events.map((event) => event.detail.change_id)).size).toBe(events.length);
    for (const event of events) {
      expect(event).toMatchObject({
        source: 'org-feature-flags',
        'detail-type': 'FeatureFlagChanged',
        detail: { source: 'admin', changed_by: expect.any(String) },
      });
    }
    const lastFirst = committed.filter((answer) => answer.flag.key === first).at(-1);
    expect(stack.output()).toContain(
      `[events] FeatureFlagChanged ${steadyOrg}/${first} ${lastFirst?.flag.user_enabled ? 'on' : 'off'} (`,
    );
  }, 120_000);

  it('delivers, after a SIGKILL right after a write and a restart, that change once with its change_id, stopping the DynamoDB Local left behind first', async () => {
    const orgId = `e2e-kill-${randomUUID().slice(0, 8)}`;
    await provision(orgId);
    const steadyBefore = await eventsOf(steadyOrg);

    await setFlag(orgId, first, true);
    const written = await setFlag(orgId, first, false);
    expect(written.changed).toBe(true);
    await stack.kill('SIGKILL');
    const beforeRestart = (await eventsOf(orgId)).filter((event) => event.detail.version === written.flag.version);
    // The crash leaves DynamoDB Local running, holding its port and the data.
    expect(await enginesOn(dbPath())).toHaveLength(1);

    stack = await startLocalStackProcess({ root, dataDir });
    expect(stack.output()).toMatch(
      /\[dynamodb\] DynamoDB Local \(process \d+\) is still running on .*, left by a local stack that did not stop; stopping it/,
    );
    expect(await enginesOn(dbPath())).toHaveLength(1);

    const copies = await waitFor(async () => {
      const found = (await eventsOf(orgId)).filter((event) => event.detail.version === written.flag.version);
      return found.length > 0 ? found : undefined;
    }, 'the event of the change written before the kill');
    await settle();
    const after = (await eventsOf(orgId)).filter((event) => event.detail.version === written.flag.version);
    // Not published before the kill: exactly once now. Published before it: it may come again (at least once), with the same change_id.
    if (beforeRestart.length === 0) expect(after).toHaveLength(1);
    else expect(after.length).toBeGreaterThanOrEqual(1);
    expect(new Set(after.map((event) => JSON.stringify(event.detail))).size).toBe(1);
    expect(after[0]?.detail).toMatchObject({
      key: first,
      enabled: written.flag.user_enabled,
      change_id: copies[0]?.detail.change_id,
    });

    // The write survived the crash, and the restart published nothing again that was published before it.
    admin = await tokenFor(stack, '--role', 'admin');
    const flags = await call<{ flags: { key: string; user_enabled: boolean; version: number }[] }>(
      `/org-feature-flags/${orgId}`,
    );
    expect(flags.body.flags.find((flag) => flag.key === first)).toMatchObject({
      user_enabled: written.flag.user_enabled,
      version: written.flag.version,
    });
    expect(await eventsOf(steadyOrg)).toEqual(steadyBefore);

    // And the restarted stack publishes new changes as before.
    const next = await setFlag(orgId, second, true);
    await waitFor(
      async () =>
        (await eventsOf(orgId)).some((event) => event.detail.version === next.flag.version) ? true : undefined,
      'the event of a change after the restart',
    );
  }, 180_000);

  it('a clean stop leaves no DynamoDB Local running on the data and releases it', async () => {
    await stack.stop();
    expect(await enginesOn(dbPath())).toEqual([]);
    await expect(access(path.join(dataDir, OWNER_FILE))).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
