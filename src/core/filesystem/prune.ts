import { LeasedJob, type LockRepository } from '../leased-job.js';

export const FS_CHANGES_LOCK = 'fs-change-log-prune';

/** How often serving processes prune the change log (its entries are kept 30 days). */
export const CHANGE_LOG_PRUNE_MS = 3_600_000;

/**
 * Drops the filesystem's change-log entries older than the 30 days the API serves
 * (`FilesystemService.pruneChanges`): on an interval in serving processes, one node at a time (a
 * lease row says who), like the expiry sweep. Hourly: an entry lives at most an hour past its 30
 * days, and the log (not indexed by time alone) is scanned once an hour, not every minute.
 */
export type ChangeLogPruner = LeasedJob;

export function changeLogPruner(
  filesystem: { pruneChanges(): Promise<number> },
  locks: LockRepository,
  opts: { intervalMs: number; now?: () => number; onError?: (err: unknown) => void },
): ChangeLogPruner {
  // runOnce: how many entries were dropped (0 when another node holds the lease).
  return new LeasedJob(
    FS_CHANGES_LOCK,
    locks,
    async (lease) => ((await lease()) ? filesystem.pruneChanges() : 0),
    opts,
  );
}
