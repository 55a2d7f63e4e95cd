import { LeasedJob, type LockRepository } from '../leased-job.js';

export const TUS_SWEEP_LOCK = 'tus-expiry-sweep';

/**
 * Removes expired resumable uploads (`ResumableService.sweep`): on an interval in serving
 * processes, one node at a time (a lease row says who), like the expiry of files.
 */
export type ResumableSweep = LeasedJob;

export function resumableSweep(
  resumable: { sweep(lease: () => Promise<boolean>): Promise<number> },
  locks: LockRepository,
  opts: { intervalMs: number; now?: () => number; onError?: (err: unknown) => void },
): ResumableSweep {
  return new LeasedJob(TUS_SWEEP_LOCK, locks, (lease) => resumable.sweep(lease), opts);
}
