/**
 * A cache of values that are good for a short time (`ttlMs`, the same for every entry), bounded by
 * `maxEntries`. Entries are kept in insertion order, which with one TTL is expiry order: every
 * insertion first drops the expired entries at the front, so a burst of lookups leaves nothing
 * behind once it is over (the next insertions clear it), and the oldest live entries go when it
 * is full.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The value if it was set less than `ttlMs` before `now`. */
  get(key: string, now: number): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.until > now) return hit.value;
    this.map.delete(key);
    return undefined;
  }

  set(key: string, value: V, now: number): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.map.delete(key);
    for (const [k, e] of this.map) {
      if (e.until > now && this.map.size < this.maxEntries) break;
      this.map.delete(k);
    }
    this.map.set(key, { value, until: now + this.ttlMs });
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}
