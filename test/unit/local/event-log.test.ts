import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EventLog, describeEvent, formatEventLine, tailEventLog } from '../../../lib/local/event-log.js';
import type { EventBridgeEvent } from '../../../lib/local/put-events.js';

const changed: EventBridgeEvent = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'FeatureFlagChanged',
  source: 'org-feature-flags',
  account: '000000000000',
  time: '2026-11-23T10:15:00Z',
  region: 'local',
  resources: [],
  detail: {
    change_id: 'ilP4lOHDPXt3f1Asu6yr-S',
    org_id: 'acme',
    key: 'chat',
    previous_enabled: false,
    enabled: true,
    version: 1795300500123,
    source: 'admin',
    changed_by: 'admin-user-1',
    changed_at: '2026-11-23T10:15:00.123Z',
    request_id: 'r-1',
  },
};
const created: EventBridgeEvent = {
  ...changed,
  id: 'e-2',
  'detail-type': 'OrgCreated',
  source: 'org-service',
  detail: { org_id: 'globex' },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'off-event-log-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the local event log', () => {
  it('describes a FeatureFlagChanged in one line: org/key, new and old value, version, who, when, change id', () => {
    expect(describeEvent(changed)).toBe(
      'FeatureFlagChanged acme/chat on (was off; v1795300500123, by admin-user-1, at 2026-11-23T10:15:00.123Z, change ilP4lOHDPXt3f1Asu6yr-S)',
    );
    expect(
      describeEvent({
        ...changed,
        detail: { ...changed.detail, enabled: false, previous_enabled: true, changed_by_email: 'ada@example.com' },
      }),
    ).toMatch(/^FeatureFlagChanged acme\/chat off \(was on; v1795300500123, by ada@example\.com,/);
    expect(describeEvent(created)).toBe('OrgCreated globex from org-service (e-2, at 2026-11-23T10:15:00Z)');
    expect(formatEventLine('not json')).toBe('not json');
  });

  it('appends each event as one JSON line (creating the directory) and logs its description', async () => {
    const lines: string[] = [];
    const file = path.join(dir, 'nested', 'events.jsonl');
    const log = new EventLog(file, (line) => lines.push(line));
    log.record(changed);
    log.record(created);
    expect((await readFile(file, 'utf8')).split('\n')).toEqual([JSON.stringify(changed), JSON.stringify(created), '']);
    expect(lines).toEqual([`[events] ${describeEvent(changed)}`, `[events] ${describeEvent(created)}`]);
  });

  it('tail prints the file, readable or as stored, and stops at its end unless following', async () => {
    const file = path.join(dir, 'events.jsonl');
    await writeFile(file, `${JSON.stringify(changed)}\n${JSON.stringify(created)}\n`);
    const readable: string[] = [];
    await tailEventLog(file, { follow: false, json: false, write: (line) => readable.push(line) });
    expect(readable).toEqual([describeEvent(changed), describeEvent(created)]);
    const raw: string[] = [];
    await tailEventLog(file, { follow: false, json: true, write: (line) => raw.push(line) });
    expect(raw).toEqual([JSON.stringify(changed), JSON.stringify(created)]);
    const none: string[] = [];
    await tailEventLog(path.join(dir, 'missing.jsonl'), {
      follow: false,
      json: true,
      write: (line) => none.push(line),
    });
    expect(none).toEqual([]);
  });

  it('tail follows: waits for the file, prints each line once it is whole, starts over after a truncation, ends when aborted', async () => {
    const file = path.join(dir, 'events.jsonl');
    const seen: string[] = [];
    const stop = new AbortController();
    const until = async (count: number) => {
      const deadline = Date.now() + 5_000;
      while (seen.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const tail = tailEventLog(file, {
      follow: true,
      json: true,
      write: (line) => seen.push(line),
      signal: stop.signal,
      pollIntervalMs: 10,
    });

    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = JSON.stringify(changed);
    await writeFile(file, line.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
    await appendFile(file, `${line.slice(20)}\n`);
    await until(1);
    expect(seen).toEqual([line]);

    await writeFile(file, `${JSON.stringify(created)}\n`);
    await until(2);
    expect(seen).toEqual([line, JSON.stringify(created)]);

    stop.abort();
    await tail;
  });
});
