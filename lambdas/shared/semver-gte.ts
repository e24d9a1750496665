/**
 * What the functions' bundles put in place of `semver`: its one use in them is the X-Ray SDK's
 * check that an AWS SDK v2 is at least 2.7.15 (`semver.gte`), in a patcher the functions never
 * call. The package itself builds some forty regular expressions when it loads. Same answers as
 * `semver.gte` for every valid version (SemVer 2.0.0 precedence); an invalid one throws, as there.
 */
const VERSION =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

interface Parsed {
  readonly release: readonly [number, number, number];
  readonly prerelease: readonly (number | string)[];
}

function parse(version: unknown): Parsed {
  const match = typeof version === 'string' ? VERSION.exec(version.trim()) : null;
  if (!match) throw new TypeError(`Invalid Version: ${String(version)}`);
  const [, major, minor, patch, prerelease] = match;
  return {
    release: [Number(major), Number(minor), Number(patch)],
    prerelease: prerelease ? prerelease.split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : [],
  };
}

function compareIdentifiers(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compare(a: Parsed, b: Parsed): number {
  for (let i = 0; i < 3; i++) {
    const difference = (a.release[i] as number) - (b.release[i] as number);
    if (difference !== 0) return difference;
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const difference = compareIdentifiers(x, y);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Whether version `a` is at least `b`. */
export function gte(a: string, b: string): boolean {
  return compare(parse(a), parse(b)) >= 0;
}
