import type { ScanStatus } from './scanner.js';

/** A blob to scan: its content key (SHA-256), where the store keeps it, its size. */
export interface BlobToScan {
  key: string;
  location: string;
  size: number;
}

export interface ScanResult {
  status: ScanStatus;
  /** The signature when infected; why, for error and unscanned. */
  signature: string | null;
  /** The engine's version string. */
  engine: string | null;
  at: number;
}

/**
 * Port: scan results kept with each blob row (`blobs.scan_*`). While a blob has no result
 * (`scan_status` null), `scanned_at` holds the claim of the node scanning it: taking it is one
 * conditional UPDATE, so two nodes (or processes) never scan a blob twice.
 */
export interface ScanRepository {
  /** Claim a blob with no result and no live claim until `until`: the blob, or null. */
  claim(key: string, now: number, until: number): Promise<BlobToScan | null>;
  /** Give a claim back unfinished (the scanner could not be reached): the sweep will retry. */
  release(key: string): Promise<void>;
  /**
   * Store a result. `firstScan`: only where the blob has no result yet (a claimed scan); else
   * whatever it had (a rescan). False when no row was written (the blob is gone, or has a result).
   */
  record(key: string, result: ScanResult, firstScan: boolean): Promise<boolean>;
  /** Keys of blobs with no result and no live claim, up to `limit`. */
  listUnscanned(now: number, limit: number): Promise<string[]>;
  /** Forget `error` results stored before `before` (they are scanned again). How many. */
  resetErrors(before: number): Promise<number>;
  /**
   * Blobs to scan again, by key after `after`: all (`before` null), or those with no result or
   * scanned before `before`.
   */
  listForRescan(before: number | null, after: string | null, limit: number): Promise<BlobToScan[]>;
  countForRescan(before: number | null): Promise<{ count: number; bytes: number }>;
  /** Ids of the files holding this content (their cached records are stale now). */
  fileIdsOf(key: string, limit: number): Promise<string[]>;
}
