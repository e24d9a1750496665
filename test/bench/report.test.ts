import { describe, expect, test } from '@jest/globals';
import type { LoadResult } from './load.js';
import { cpuShareLines, resultTable } from './report.js';

const result = (name: string, cpuMsPerRequest: number): LoadResult => ({
  name,
  ok: 1000,
  errors: 0,
  errorSamples: [],
  elapsedMs: 5000,
  requestsPerSecond: 200,
  p50Ms: 4,
  p99Ms: 9,
  maxMs: 12,
  cpuMsPerRequest,
  callsPerRequest: { QueryCommand: 1 },
});

describe('the HTTP section of the bench', () => {
  test("splits the GET's CPU per request into the bare Query, the handler's own work and the local gateway's", () => {
    const lines = cpuShareLines(
      result('GET', 2),
      result('handler', 1.2),
      result('jwt', 0.1),
      result('health', 0.5),
      result('query', 1),
    );
    expect(lines).toEqual([
      "CPU per GET 2.000 ms: the bare Query with its load 1.000 ms (50%), the handler's own work 0.200 ms (10%)," +
        " the local gateway's 0.800 ms (40%; its JWT check 0.100 ms, 5%); an open route's whole round trip 0.500 ms",
    ]);
  });

  test('shows the CPU per request of every scenario', () => {
    const [header, row] = resultTable([result('GET', 1.5)]);
    expect(header).toMatch(/CPU ms\/req/);
    expect(row).toMatch(/^GET\s+1000\s+200\s+4\.00\s+9\.00\s+12\.00\s+1\.500\s+0\s+QueryCommand 1\.00$/);
  });
});
