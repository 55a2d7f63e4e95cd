/**
 * State that several nodes must share (rate-limit counters, de-duplication marks). In-process by
 * default; Redis when several nodes serve the same data (STOWAGE_REDIS_URL). Keys are plain
 * strings chosen by the caller; implementations namespace them.
 */
export interface SharedState {
  /**
   * Count `amount` events (default 1) in a fixed window that starts with the first event: the
   * count so far and the milliseconds until the window ends. Batching callers add local sums.
   */
  increment(
    key: string,
    windowMs: number,
    amount?: number,
  ): Promise<{ count: number; resetMs: number }>;
  /** Whether `key` is set (a claim or a counter) and not expired. */
  exists(key: string): Promise<boolean>;
  /** Mark `key` for `ttlMs` if it is not marked: true if this call marked it (first time). */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Optional: a cheap round trip to a remote store (readiness); in-process state has none. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
