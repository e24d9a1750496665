import { describe, expect, test } from '@jest/globals';
import { FUNCTION_RUNTIME } from '../../lib/constructs/bundling.js';
import { BASELINE_NAME, benchColdStart, coldStartLines } from './cold-start.js';
import { FUNCTION_NODE_VERSION, runtimeMajor } from './function-node.js';

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
    // Each function's ratios are the medians of its ratios to the baseline imported beside it.
    expect([result.baseline.wallRatio, result.baseline.cpuRatio]).toEqual([1, 1]);
    for (const row of result.functions) expect(row.cpuRatio).toBeGreaterThan(0);
    expect(result.node.version).toBe(result.node.fallbackReason ? process.version : `v${FUNCTION_NODE_VERSION}`);
    const lines = coldStartLines(result);
    expect(lines[0]).toBe(
      `imported with Node.js ${result.node.version}${result.node.fallbackReason ? ` (NOT the functions' Node.js: ${result.node.fallbackReason})` : ''}`,
    );
    expect(lines[2]).toMatch(/^bundle\s+KB\s+import ms\s+ratio\s+CPU ms\s+CPU ratio$/);
    expect(lines[3]).toMatch(
      new RegExp(`^${BASELINE_NAME.replace(/[+]/g, '\\+')}\\s+\\d+\\s+[\\d.]+\\s+1\\.00x\\s+[\\d.]+\\s+1\\.00x$`),
    );
    expect(
      lines.filter((line) => /^(health|get-org-flags)\s+\d+\s+[\d.]+\s+[\d.]+x\s+[\d.]+\s+[\d.]+x$/.test(line)),
    ).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^(every function within 1\.5x|OVER 1\.5x)/);
  }, 300_000);

  test('imports with a release of the Node.js major the functions run on', () => {
    expect(runtimeMajor('nodejs24.x')).toBe(24);
    expect(() => runtimeMajor('python3.13')).toThrow('python3.13 is not a Node.js runtime');
    expect(Number(FUNCTION_NODE_VERSION.split('.')[0])).toBe(runtimeMajor(FUNCTION_RUNTIME.name));
  });
});
