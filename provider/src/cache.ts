/**
 * A least-recently-used map with at most `maxEntries` entries. Reading an entry with
 * {@link LruCache.get} or writing it with {@link LruCache.set} makes it the most recently used;
 * adding an entry beyond the bound drops the least recently used one.
 */
export class LruCache<V> {
  // A Map iterates in insertion order: the first key is the least recently used.
  private readonly map = new Map<string, V>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  /** The number of entries. */
  get size(): number {
    return this.map.size;
  }

  /** The entry of `key`, now the most recently used; undefined when there is none. */
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** The entry of `key`, leaving the order of use as it is. */
  peek(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Whether `key` has an entry (the order of use is left as it is). */
  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Stores `value` as the most recently used entry of `key`; returns the key dropped to stay within the bound, if any. */
  set(key: string, value: V): string | undefined {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.maxEntries) return undefined;
    const oldest = this.map.keys().next().value as string;
    this.map.delete(oldest);
    return oldest;
  }

  /** Removes the entry of `key`; whether there was one. */
  delete(key: string): boolean {
    return this.map.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.map.clear();
  }

  /** The keys, least recently used first. */
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
}
