import { describe, expect, it } from '@jest/globals';
import { RecentlyLogged } from '../../../lambdas/shared/recently-logged.js';

describe('RecentlyLogged', () => {
  it('lets each thing through once per interval', () => {
    let now = 0;
    const recent = new RecentlyLogged(1000, 100, () => now);
    expect(recent.fresh(['a/x', 'a/y'])).toEqual(['a/x', 'a/y']);
    for (let i = 0; i < 100; i++) expect(recent.fresh(['a/x'])).toEqual([]);
    expect(recent.fresh(['a/x', 'b/x'])).toEqual(['b/x']);
    now = 1000;
    expect(recent.fresh(['a/x', 'b/x'])).toEqual(['a/x', 'b/x']);
  });

  it('forgets the oldest things beyond its capacity', () => {
    const recent = new RecentlyLogged(60_000, 2, () => 0);
    recent.fresh(['a', 'b', 'c']);
    expect(recent.fresh(['a'])).toEqual(['a']);
    expect(recent.fresh(['c'])).toEqual([]);
  });
});
