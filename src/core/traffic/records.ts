/** What one batch adds to a file's counters. */
export interface CounterDelta {
  views: number;
  downloads: number;
  /** Bytes sent. */
  bandwidth: number;
  /** Bytes of `bandwidth` sent to exempt downloaders (owner, hotlinking accounts). */
  bandwidthPaid: number;
}

/** Persistence of the traffic counters (batched: one call per flush). */
export interface TrafficRepository {
  /**
   * Add the deltas to the files' counters; files that had views get `last_view_at = at`. Files
   * deleted meanwhile are skipped.
   */
  addCounters(deltas: ReadonlyMap<string, CounterDelta>, at: number): Promise<void>;
}

export function emptyDelta(): CounterDelta {
  return { views: 0, downloads: 0, bandwidth: 0, bandwidthPaid: 0 };
}
