import type { SharedState } from '../shared-state.js';

/**
 * "Once per client and file per window" marks. The mark itself lives in the shared state (so two
 * nodes agree on "first time"); this node remembers the marks it has seen, so a client's repeated
 * requests (eight parallel ranges, a player seeking) cost no round trip after the first.
 */
export class OncePerClient {
  /** key -> epoch ms until which it is known to be marked. Bounded: oldest entries go first. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly state: SharedState,
    private readonly opts: { ttlMs: number; now: () => number; maxLocal?: number },
  ) {}

  /**
   * Whether this node already knows `key` is marked for `client` within the window (then
   * `first()` would resolve false): the common repeat asks nothing of the shared state and
   * allocates no promise.
   */
  seenHere(key: string, client: string | undefined): boolean {
    if (!client) return false;
    const until = this.seen.get(`${key}:${client}`);
    return until !== undefined && until > this.opts.now();
  }

  /**
   * Resolves true if this call is the first for `key` within the window (here or on another
   * node). Without a client there is nothing to de-duplicate on: always first. If the shared
   * state cannot be reached the event counts (better one too many than none).
   */
  async first(key: string, client: string | undefined): Promise<boolean> {
    if (!client) return true;
    const k = `${key}:${client}`;
    const now = this.opts.now();
    const until = this.seen.get(k);
    if (until !== undefined) {
      if (until > now) return false;
      this.seen.delete(k);
    }
    this.remember(k, now + this.opts.ttlMs);
    try {
      return await this.state.claim(k, this.opts.ttlMs);
    } catch {
      return true;
    }
  }

  private remember(k: string, until: number): void {
    const max = this.opts.maxLocal ?? 100_000;
    if (this.seen.size >= max) {
      // Map order is insertion order: drop the oldest tenth at once, not one per insert.
      let drop = Math.ceil(max / 10);
      for (const key of this.seen.keys()) {
        this.seen.delete(key);
        if (--drop === 0) break;
      }
    }
    this.seen.set(k, until);
  }
}
