/**
 * Remembers which things a function has logged lately, so that a warning that every request
 * would repeat is logged once per thing per interval instead. Bounded: the oldest entries go first.
 */
export class RecentlyLogged {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The subset of `things` not logged within the interval; they count as logged from now on. */
  fresh(things: readonly string[]): string[] {
    const now = this.now();
    const fresh = things.filter((thing) => {
      const last = this.seen.get(thing);
      return last === undefined || now - last >= this.intervalMs;
    });
    for (const thing of fresh) {
      this.seen.delete(thing);
      this.seen.set(thing, now);
    }
    for (const oldest of this.seen.keys()) {
      if (this.seen.size <= this.capacity) break;
      this.seen.delete(oldest);
    }
    return fresh;
  }
}
