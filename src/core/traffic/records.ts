/** What one batch adds to a file's counters. */
export interface CounterDelta {
  views: number;
  downloads: number;
  /** Bytes sent. */
  bandwidth: number;
  /** Bytes of `bandwidth` sent to exempt downloaders (owner, hotlinking accounts). */
  bandwidthPaid: number;
}

/** One file's share of a batch: the totals, and the same split by the minute the events happened. */
export interface FileCounterDelta extends CounterDelta {
  /** Epoch ms of the minute's start -> what happened in it. Sums to the totals. */
  minutes: Map<number, CounterDelta>;
}

/** Persistence of the traffic counters (batched: one call per flush). */
export interface TrafficRepository {
  /**
   * Add the deltas to the files' counters; files that had views get `last_view_at = at`. Files
   * deleted meanwhile are skipped. In the same transaction, add the per-minute buckets to the
   * files' and their owners' time series.
   */
  addCounters(deltas: ReadonlyMap<string, FileCounterDelta>, at: number): Promise<void>;
}

export function emptyDelta(): CounterDelta {
  return { views: 0, downloads: 0, bandwidth: 0, bandwidthPaid: 0 };
}

export const MINUTE_MS = 60_000;

/** Bucket lengths in minutes: minutes roll up into hours, hours into days. */
export const RESOLUTIONS = [1, 60, 1440] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** One stored bucket of a time series. */
export interface SeriesRow extends CounterDelta {
  /** Bucket length in minutes. */
  resolution: number;
  /** Epoch ms the bucket starts at. */
  bucket: number;
}

/** Whose series: a file's, or a user's (the sum over the files they own). */
export type SeriesOwner = { file: string } | { user: string };

/** Port: reading and rolling up the stored time series. */
export interface SeriesRepository {
  /** Buckets of any resolution starting in [from, to). */
  read(owner: SeriesOwner, from: number, to: number): Promise<SeriesRow[]>;
  /** The earliest bucket of a resolution, in either table (null: none). */
  oldest(resolution: Resolution): Promise<number | null>;
  /**
   * Move the buckets of `from` resolution starting in [start, end) into buckets of `to`
   * resolution (summed, added to what is there), in one transaction, in both tables. Returns the
   * number of rows moved; a second call over the same range moves none.
   */
  rollup(from: Resolution, to: Resolution, start: number, end: number): Promise<number>;
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
  /** An administrator (passes STOWAGE_CLAMAV_ACTION=block). */
  admin?: boolean;
}
