import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { gte } from '../../../lambdas/shared/semver-gte.js';

/** The `semver` the X-Ray SDK would load, the package the bundles replace with `gte`. */
const semver = createRequire(createRequire(import.meta.url).resolve('aws-xray-sdk-core'))('semver') as {
  gte(a: string, b: string): boolean;
};

const VERSIONS = [
  '0.0.0',
  '0.0.1',
  '0.1.0',
  '1.0.0',
  '1.2.3',
  'v1.2.3',
  ' 1.2.3 ',
  '1.2.10',
  '1.10.2',
  '2.7.14',
  '2.7.15',
  '2.7.16',
  '2.8.0',
  '2.1692.0',
  '3.0.0',
  '1.0.0-alpha',
  '1.0.0-alpha.1',
  '1.0.0-alpha.beta',
  '1.0.0-beta',
  '1.0.0-beta.2',
  '1.0.0-beta.11',
  '1.0.0-rc.1',
  '1.0.0-0',
  '1.0.0-1a',
  '1.0.0+build.5',
  '1.0.0-rc.1+build.1',
  '2.7.15-x.7.z.92',
];

describe('gte, in place of semver.gte in the bundles', () => {
  it('answers as semver.gte for every pair of valid versions', () => {
    const differences = VERSIONS.flatMap((a) =>
      VERSIONS.filter((b) => gte(a, b) !== semver.gte(a, b)).map((b) => `${a} >= ${b}`),
    );
    expect(differences).toEqual([]);
  });

  it("checks the X-Ray SDK's minimum AWS SDK v2 version as semver does", () => {
    expect(gte('2.7.15', '2.7.15')).toBe(true);
    expect(gte('2.1692.0', '2.7.15')).toBe(true);
    expect(gte('2.7.9', '2.7.15')).toBe(false);
  });

  it.each(['', '1.2', '1.2.3.4', '01.2.3', '1.2.3-', 'x.y.z', '1.2.3-01'])(
    'throws on the invalid version %p, as semver does',
    (invalid) => {
      expect(() => semver.gte(invalid, '1.0.0')).toThrow(TypeError);
      expect(() => gte(invalid, '1.0.0')).toThrow(TypeError);
    },
  );
});
