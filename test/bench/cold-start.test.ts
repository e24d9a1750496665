import { describe, expect, test } from '@jest/globals';
import { BASELINE_NAME, benchColdStart, coldStartLines } from './cold-start.js';

describe('the cold-start section of the bench', () => {
  test('bundles the functions and the baseline, imports each in fresh processes and tabulates them', async () => {
    const result = await benchColdStart(1, () => undefined, ['health', 'get-org-flags']);

    expect(result.baseline.name).toBe(BASELINE_NAME);
    expect(result.functions.map((row) => row.name)).toEqual(['health', 'get-org-flags']);
    for (const row of [result.baseline, ...result.functions]) {
      expect(row.bundleBytes).toBeGreaterThan(10_000);
      expect(row.importMs).toBeGreaterThan(0);
      expect(row.cpuMs).toBeGreaterThan(0);
    }
    const lines = coldStartLines(result);
    expect(lines[0]).toMatch(/^bundle\s+KB\s+import ms\s+ratio\s+CPU ms\s+CPU ratio$/);
    expect(lines[1]).toMatch(new RegExp(`^${BASELINE_NAME.replace(/[+]/g, '\\+')}\\s+\\d+\\s+[\\d.]+\\s+1\\.00x\\s+[\\d.]+\\s+1\\.00x$`));
    expect(lines.filter((line) => /^(health|get-org-flags)\s+\d+\s+[\d.]+\s+[\d.]+x\s+[\d.]+\s+[\d.]+x$/.test(line))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^(every function within 1\.5x|OVER 1\.5x)/);
  }, 120_000);
});
