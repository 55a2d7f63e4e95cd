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

/** Instance-wide settings shared by every node (one table). */
export interface SettingsRepository {
  /** The stored value, else store `value` and return it (the first node to store wins). */
  getOrInsert(name: string, value: string): Promise<string>;
}

/** What the download rules need to know about an account. */
export interface AccountFlags {
  /** The uploader allows hotlinking of their files. */
  hotlinkingEnabled: boolean;
  /** The operator exempts this account's downloads from the hotlink rule. */
  hotlinkExempt: boolean;
}
