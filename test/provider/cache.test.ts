import { describe, expect, it } from '@jest/globals';
import { LruCache } from '../../provider/src/cache.js';

describe('LruCache', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new LruCache<number>(3);
    expect(cache.set('a', 1)).toBeUndefined();
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.set('d', 4)).toBe('a');
    expect(cache.size).toBe(3);
    expect(cache.has('a')).toBe(false);
    expect([...cache.keys()]).toEqual(['b', 'c', 'd']);
  });

  it('makes an entry the most recently used when it is read or written', () => {
    const cache = new LruCache<number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1);
    expect(cache.set('d', 4)).toBe('b');
    cache.set('c', 30);
    expect(cache.set('e', 5)).toBe('a');
    expect([...cache.keys()]).toEqual(['d', 'c', 'e']);
    expect(cache.get('c')).toBe(30);
  });

  it('peek and has leave the order of use as it is', () => {
    const cache = new LruCache<string>(2);
    cache.set('a', 'x');
    cache.set('b', 'y');
    expect(cache.peek('a')).toBe('x');
    expect(cache.has('a')).toBe(true);
    expect(cache.set('c', 'z')).toBe('a');
    expect(cache.peek('missing')).toBeUndefined();
    expect(cache.get('missing')).toBeUndefined();
  });

  it('deletes and clears', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('stays bounded under many distinct keys', () => {
    const cache = new LruCache<number>(100);
    for (let i = 0; i < 10_000; i += 1) cache.set(`org-${i}`, i);
    expect(cache.size).toBe(100);
    expect(cache.peek('org-9999')).toBe(9999);
    expect(cache.peek('org-9899')).toBeUndefined();
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(RangeError);
  });
});
