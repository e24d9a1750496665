import { describe, expect, test } from '@jest/globals';
import { msPerRequestByPart, partOf, profileTable, type CpuProfile } from './profile.js';

const frame = (functionName: string, url: string) => ({ functionName, url });

describe("the bench's CPU profile of a scenario", () => {
  test('names the part of the request each sampled function belongs to', () => {
    expect(partOf('send', 'file:///p/node_modules/@smithy/core/dist-cjs/index.js')).toBe('AWS SDK (@aws-sdk, @smithy)');
    expect(partOf('verifySignature', 'file:///p/node_modules/jose/dist/webapi/lib/jws_verify.js')).toBe(
      'JWT check (jose)',
    );
    expect(partOf('handle', 'file:///p/lib/local/server.ts')).toBe('local gateway (lib/local)');
    expect(partOf('getOrgFlags', 'file:///p/lambdas/use-cases/flags.ts')).toBe(
      'handler code (lambdas, registry, middy, Powertools, X-Ray, zod)',
    );
    expect(partOf('runMiddlewares', 'file:///p/node_modules/@middy/core/index.js')).toBe(
      'handler code (lambdas, registry, middy, Powertools, X-Ray, zod)',
    );
    expect(partOf('parserOnHeadersComplete', 'node:_http_common')).toBe('Node.js HTTP, sockets and streams');
    expect(partOf('emit', 'node:events')).toBe('other Node.js internals');
    expect(partOf('(garbage collector)', '')).toBe('garbage collection');
    expect(partOf('writev', '')).toBe('V8 and native code (promises, async hooks, writes)');
    expect(partOf('worker', 'file:///p/test/bench/load.ts')).toBe('load generator and other packages');
    expect(partOf('(idle)', '')).toBeUndefined();
  });

  test("adds up each part's sampled time per request, idle time left out", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)', '') },
        { id: 2, callFrame: frame('send', 'file:///p/node_modules/@aws-sdk/lib-dynamodb/index.js') },
        { id: 3, callFrame: frame('verify', 'file:///p/node_modules/jose/index.js') },
        { id: 4, callFrame: frame('(garbage collector)', '') },
      ],
      samples: [1, 2, 3, 2, 4, 1],
      timeDeltas: [5000, 300, 200, 500, 100, 9000],
    };
    const byPart = msPerRequestByPart(profile, 2);
    expect(byPart['AWS SDK (@aws-sdk, @smithy)']).toBeCloseTo(0.4);
    expect(byPart['JWT check (jose)']).toBeCloseTo(0.1);
    expect(byPart['garbage collection']).toBeCloseTo(0.05);
    expect(Object.values(byPart).reduce((sum, value) => sum + value, 0)).toBeCloseTo(0.55);

    const lines = profileTable([{ name: '  GET', byPart }]);
    expect(lines[0]).toMatch(/^ms per request\s+GET$/);
    expect(lines).toContainEqual(expect.stringMatching(/^JWT check \(jose\)\s+0\.100$/));
    expect(lines.at(-1)).toMatch(/^total\s+0\.550$/);
  });
});
