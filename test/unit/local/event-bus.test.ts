import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEAD_LETTERS_KEPT, LocalEventBus } from '../../../lib/local/event-bus.js';
import type { EventRuleDeclaration } from '../../../lib/service/rules.js';

const rule: EventRuleDeclaration = {
  id: 'TestRule',
  description: 'Every test event to a target that always fails',
  pattern: { source: ['test'] },
  target: 'org-created',
  retryAttempts: 0,
  maxEventAgeSeconds: 60,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'off-event-bus-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function failingBus(deadLetterFile: string) {
  const lines: string[] = [];
  const bus = new LocalEventBus({
    rules: [rule],
    targets: { 'org-created': () => Promise.reject(new Error('target failed')) },
    deadLetterFile,
    retryBaseDelayMs: 1,
    log: (line) => lines.push(line),
  });
  const put = (n: number) => {
    const result = bus.putEvents({
      Entries: [{ Source: 'test', DetailType: 'Tested', Detail: JSON.stringify({ n }) }],
    });
    expect(result).toMatchObject({ ok: true, response: { FailedEntryCount: 0 } });
  };
  return { bus, lines, put };
}

/**
 * Waits until `count` events are dead-lettered and the bus's work on them is over. Not with
 * `bus.idle()`, which would handle a rejection that the running stack leaves unhandled (and that
 * would end its process); jest fails the test on such a rejection.
 */
async function deadLettered(bus: LocalEventBus, lines: readonly string[], count: number): Promise<void> {
  const end = Date.now() + 5_000;
  while (
    lines.filter((line) => line.includes('dead-lettered')).length < count ||
    bus.deadLetters.length < Math.min(count, DEAD_LETTERS_KEPT)
  ) {
    if (Date.now() > end) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('dead letters of the local bus', () => {
  it.each([
    ['the dead-letter path is a directory', async () => dir],
    [
      "the dead-letter file's directory cannot be created (a file is in the way)",
      async () => {
        const blocker = path.join(dir, 'not-a-directory');
        await writeFile(blocker, '');
        return path.join(blocker, 'dead-letters.jsonl');
      },
    ],
  ])(
    '%s: the failure is logged, nothing is left unhandled, and the bus keeps delivering',
    async (_name, deadLetterFile) => {
      const { bus, lines, put } = failingBus(await deadLetterFile());

      put(1);
      await deadLettered(bus, lines, 1);
      put(2);
      await deadLettered(bus, lines, 2);

      expect(bus.deadLetters.map((letter) => letter.event.detail)).toEqual([{ n: 1 }, { n: 2 }]);
      const failures = lines.filter((line) => /could not be written/.test(line));
      expect(failures).toHaveLength(2);
      expect(failures[0]).toMatch(/\[events\] Tested .* dead-lettered after 1 attempts: target failed/);
    },
  );

  it(`keeps the most recent ${DEAD_LETTERS_KEPT} in memory; the file keeps them all`, async () => {
    const file = path.join(dir, 'many', 'dead-letters.jsonl');
    const { bus, put } = failingBus(file);
    const total = DEAD_LETTERS_KEPT + 5;

    for (let n = 1; n <= total; n++) put(n);
    await bus.idle();

    expect(bus.deadLetters).toHaveLength(DEAD_LETTERS_KEPT);
    const kept = bus.deadLetters.map((letter) => (letter.event.detail as { n: number }).n).sort((a, b) => a - b);
    expect(kept).toEqual(Array.from({ length: DEAD_LETTERS_KEPT }, (_, i) => i + 6));
    const written = (await readFile(file, 'utf8')).trim().split('\n');
    expect(written).toHaveLength(total);
  });
});

describe('deliveries of the local bus', () => {
  it('runs at most its limit at once; the others wait their turn and are all delivered', async () => {
    let running = 0;
    let most = 0;
    const delivered: number[] = [];
    const bus = new LocalEventBus({
      rules: [{ ...rule, retryAttempts: 2 }],
      targets: {
        'org-created': async (event) => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
          delivered.push((event.detail as { n: number }).n);
        },
      },
      deadLetterFile: path.join(dir, 'never.jsonl'),
      maxConcurrentDeliveries: 4,
    });
    for (let n = 0; n < 40; n++)
      bus.putEvents({ Entries: [{ Source: 'test', DetailType: 'Tested', Detail: JSON.stringify({ n }) }] });
    await bus.idle();
    expect(most).toBe(4);
    expect(delivered.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(bus.deadLetters).toEqual([]);
  });
});
