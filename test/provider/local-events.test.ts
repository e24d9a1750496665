import { appendFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { followLocalEvents, type LocalEventsFollower } from '../../provider/src/local-events.js';
import { OrgFeatureFlagsProvider } from '../../provider/src/provider.js';
import changeFixture from './fixtures/feature-flag-changed.json' with { type: 'json' };
import { TOKEN, delay, recordingLogger, startFakeService, waitFor } from './ofrep-server.js';

let dir: string;
let file: string;
let invalidated: string[];
const followers: LocalEventsFollower[] = [];
const provider = {
  async invalidate(orgId: string): Promise<void> {
    invalidated.push(orgId);
  },
};

function line(orgId: string, patch: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ ...changeFixture, ...patch, detail: { ...changeFixture.detail, org_id: orgId } })}\n`;
}

function follow(target = file): LocalEventsFollower {
  const follower = followLocalEvents(provider, { file: target, logger: recordingLogger() });
  followers.push(follower);
  return follower;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'off-local-events-'));
  file = path.join(dir, 'events.jsonl');
  invalidated = [];
});
afterEach(() => {
  for (const follower of followers.splice(0)) follower.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('followLocalEvents', () => {
  it('invalidates the org of a FeatureFlagChanged line appended within a second, without replaying older lines', async () => {
    writeFileSync(file, line('old') + line('older'));
    follow();
    appendFileSync(file, line('acme') + line('ignored', { 'detail-type': 'OrgCreated' }));
    const took = await waitFor(() => invalidated.length > 0, 1_000);
    expect(took).toBeLessThan(1_000);
    await delay(250);
    expect(invalidated).toEqual(['acme']);
  });

  it('waits for a complete line', async () => {
    writeFileSync(file, '');
    follow();
    const text = line('acme');
    appendFileSync(file, text.slice(0, 40));
    await delay(450);
    expect(invalidated).toEqual([]);
    appendFileSync(file, text.slice(40));
    await waitFor(() => invalidated.length === 1, 1_000);
    expect(invalidated).toEqual(['acme']);
  });

  it('waits for a file (and its directory) that does not exist yet', async () => {
    const later = path.join(dir, 'data', 'events.jsonl');
    follow(later);
    await delay(300);
    mkdirSync(path.dirname(later));
    writeFileSync(path.join(path.dirname(later), 'other.jsonl'), line('nobody'));
    writeFileSync(later, line('acme'));
    await waitFor(() => invalidated.length === 1, 1_000);
    expect(invalidated).toEqual(['acme']);
  });

  it('reads a truncated file again from its start', async () => {
    writeFileSync(file, line('old') + line('older'));
    follow();
    appendFileSync(file, line('acme'));
    await waitFor(() => invalidated.length === 1, 1_000);
    truncateSync(file, 0);
    appendFileSync(file, line('globex'));
    await waitFor(() => invalidated.length === 2, 1_000);
    expect(invalidated).toEqual(['acme', 'globex']);
  });

  it('stops after close and when its signal aborts', async () => {
    writeFileSync(file, '');
    follow().close();
    const controller = new AbortController();
    followers.push(followLocalEvents(provider, { file, signal: controller.signal }));
    controller.abort();
    appendFileSync(file, line('acme'));
    await delay(450);
    expect(invalidated).toEqual([]);
  });

  it('refreshes a real provider when the local stack records a change', async () => {
    const service = await startFakeService({ acme: { chat: { value: false } } });
    const real = new OrgFeatureFlagsProvider({ baseUrl: service.url, token: TOKEN, logger: recordingLogger() });
    const follower = followLocalEvents(real, { file, pollIntervalMs: 100 });
    try {
      await expect(real.resolveBooleanEvaluation('chat', true, { targetingKey: 'acme' })).resolves.toMatchObject({
        value: false,
      });
      service.setFlag('acme', 'chat', true);
      appendFileSync(file, line('acme'));
      const took = await waitFor(
        async () => (await real.resolveBooleanEvaluation('chat', false, { targetingKey: 'acme' })).value === true,
        1_000,
      );
      expect(took).toBeLessThan(1_000);
    } finally {
      follower.close();
      await real.onClose();
      await service.stop();
    }
  });
});
