import { describe, expect, test } from '@jest/globals';
import { openFeatureLines, type OpenFeatureResult } from './openfeature.js';

const result = (clientRatio: number): OpenFeatureResult => ({
  orgs: 100,
  client: { provider: 50_000 * clientRatio, flagd: 50_000, ratio: clientRatio },
  direct: { provider: 600_000, flagd: 400_000, ratio: 1.5 },
  rounds: 7,
  evaluationsPerRound: 50_000,
  requestsFirst: 100,
  requestsSecond: 0,
  bulk200: { name: '200', runs: 100, p50Ms: 4, p99Ms: 9 },
  bulk304: { name: '304', runs: 100, p50Ms: 3, p99Ms: 8 },
  memoryOrgs: 10_000,
  memoryBytes: 13 * 1024 * 1024,
});

describe('the OpenFeature section of the bench', () => {
  test('tabulates each figure beside its comparison, with ratios', () => {
    const lines = openFeatureLines(result(1.02));
    expect(lines[0]).toMatch(/^measure\s+this provider\s+comparison\s+ratio$/);
    expect(lines.find((line) => line.startsWith('cached evaluations through the OpenFeature client'))).toMatch(
      /51,000\/s\s+flagd-core 50,000\/s\s+1\.02x$/,
    );
    expect(lines.find((line) => line.includes('resolution alone, as the SDK calls it'))).toMatch(
      /600,000\/s\s+flagd-core 400,000\/s\s+1\.50x$/,
    );
    expect(lines.find((line) => line.startsWith('HTTP requests per 10,000 evaluations'))).toMatch(
      /100, then 0\s+one per org: 100/,
    );
    expect(lines.find((line) => line.startsWith('bulk endpoint'))).toMatch(/3\.00 ms\s+200: 4\.00 ms\s+0\.75x$/);
    expect(lines.find((line) => line.startsWith('heap kept for 10,000 cached orgs'))).toMatch(
      /13\.0 MB\s+1363 bytes per org/,
    );
    expect(lines).toContain('resolution alone: this provider at least as fast as flagd-core (1.50x)');
    expect(lines).toContain('through the OpenFeature client: this provider at least as fast as flagd-core (1.02x)');
  });

  test('says so when this provider is slower', () => {
    expect(openFeatureLines(result(0.9))).toContain(
      'through the OpenFeature client: this provider SLOWER than flagd-core (0.90x)',
    );
  });
});
