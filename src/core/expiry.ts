import { LeasedJob, type LockRepository } from './leased-job.js';
import type { FileService } from './files.js';

export type { LockRepository } from './leased-job.js';

/**
 * Expiring files. `FileService.get` stops serving a file at its expiry time; this sweep deletes
 * expired files through the normal delete path (blob references respected). It runs on an
 * interval in every serving process and one node at a time: a lease row in the database says
 * who runs it.
 */

export interface ExpirySweeperOptions {
  /** Time between sweeps; 0 = never on a timer (runOnce only). */
  intervalMs: number;
  /** Files deleted per batch. */
  batch?: number;
  now?: () => number;
  /** Errors of a sweep (logged by the caller; the next sweep tries again). */
  onError?: (err: unknown) => void;
  /** More deletions in the same sweep (inactivity expiry): each deletes up to `batch`, returns how many. */
  also?: Array<(batch: number) => Promise<number>>;
}

export const EXPIRY_LOCK = 'expiry-sweep';

export class ExpirySweeper {
  private readonly job: LeasedJob;

  constructor(
    private readonly files: FileService,
    locks: LockRepository,
    opts: ExpirySweeperOptions,
  ) {
    const batch = opts.batch ?? 500;
    this.job = new LeasedJob(
      EXPIRY_LOCK,
      locks,
      async (lease) => {
        let total = 0;
        const sweeps = [(b: number) => this.files.deleteExpired(b), ...(opts.also ?? [])];
        for (const sweep of sweeps) {
          for (;;) {
            if (!(await lease())) return total;
            const n = await sweep(batch);
            total += n;
            if (n < batch) break;
          }
        }
        return total;
      },
      opts,
    );
  }

  start(): void {
    this.job.start();
  }

  /**
   * One sweep, if this node gets the lease: delete expired files in batches until none are left.
   * Returns how many were deleted (0 as well when another node holds the lease).
   */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }
}

const ISO_DURATION =
  /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?!$)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Seconds per unit, with calendar units at their usual averages (a year is 365 days, a month 30). */
const UNIT_SECONDS = [365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1];

/**
 * A duration in seconds: plain digits (seconds) or an ISO 8601 duration (`PT5M`, `P1D`, `P1Y2M`,
 * `P2W`). Null when it is neither.
 */
export function parseDurationSeconds(raw: string): number | null {
  const v = raw.trim();
  if (/^\d{1,15}$/.test(v)) return Number(v);
  const m = ISO_DURATION.exec(v.toUpperCase());
  if (!m) return null;
  let seconds = 0;
  for (let i = 0; i < UNIT_SECONDS.length; i++) {
    const part = m[i + 1];
    if (part) seconds += Number(part.replace(',', '.')) * UNIT_SECONDS[i]!;
  }
  return Number.isFinite(seconds) ? Math.round(seconds) : null;
}
