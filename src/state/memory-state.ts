import type { SharedState } from '../core/shared-state.js';

/** SharedState for one process: a map with expiry times, swept as it grows. */
export class MemoryState implements SharedState {
  private readonly entries = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  private live(key: string, at: number): { count: number; until: number } | undefined {
    const e = this.entries.get(key);
    if (e && e.until <= at) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private sweep(at: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [k, e] of this.entries) if (e.until <= at) this.entries.delete(k);
    // Still full of live entries: drop the oldest (insertion order) rather than grow without bound.
    for (const k of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(k);
    }
  }

  async increment(
    key: string,
    windowMs: number,
    amount = 1,
  ): Promise<{ count: number; resetMs: number }> {
    const at = this.now();
    const e = this.live(key, at);
    if (e) {
      e.count += amount;
      return { count: e.count, resetMs: e.until - at };
    }
    this.sweep(at);
    this.entries.set(key, { count: amount, until: at + windowMs });
    return { count: amount, resetMs: windowMs };
  }

  async exists(key: string): Promise<boolean> {
    return this.live(key, this.now()) !== undefined;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const at = this.now();
    if (this.live(key, at)) return false;
    this.sweep(at);
    this.entries.set(key, { count: 1, until: at + ttlMs });
    return true;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
