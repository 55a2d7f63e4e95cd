import { LeasedJob, type Lease, type LockRepository } from '../leased-job.js';
import type { Resolution, SeriesRepository } from './records.js';

const DAY_MS = 24 * 3600 * 1000;

export interface SeriesRollupOptions {
  /** Minute buckets older than this many days become hour buckets. */
  minuteDays: number;
  /** Hour buckets older than this many days become day buckets. */
  hourDays: number;
  /** Time between runs; 0 = never on a timer (runOnce only). */
  intervalMs: number;
  now?: () => number;
  /** Errors of a run (logged by the caller; the next run tries again). */
  onError?: (err: unknown) => void;
}

export const ROLLUP_LOCK = 'series-rollup';

/** The steps: from which resolution to which, after how many days (by option name). */
const STEPS: readonly { from: Resolution; to: Resolution; after: 'minuteDays' | 'hourDays' }[] = [
  { from: 1, to: 60, after: 'minuteDays' },
  { from: 60, to: 1440, after: 'hourDays' },
];

/**
 * Rolls aged buckets up: minutes into hours, hours into days. One node at a time (a lease row in
 * the database, renewed before each chunk); each chunk moves its rows in one transaction, so a run
 * cut short leaves every row either moved or not, and running again moves nothing twice.
 */
export class SeriesRollup {
  private readonly job: LeasedJob;
  private readonly now: () => number;

  constructor(
    private readonly repo: SeriesRepository,
    locks: LockRepository,
    private readonly opts: SeriesRollupOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.job = new LeasedJob(ROLLUP_LOCK, locks, (lease) => this.run(lease), opts);
  }

  start(): void {
    this.job.start();
  }

  /** One run if this node gets the lease; the number of rows moved (0 if another node holds it). */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  private async run(lease: Lease): Promise<number> {
    let moved = 0;
    if (!(await lease())) return 0;
    for (const step of STEPS) {
      const size = step.to * 60_000;
      // Whole target buckets only, so a target bucket is complete when it is written.
      const cutoff = Math.floor((this.now() - this.opts[step.after] * DAY_MS) / size) * size;
      // Chunks of ~a day of minutes or ~a month of hours per transaction; gaps are skipped.
      const chunk = size * (step.to === 60 ? 24 : 30);
      let done = -Infinity;
      for (;;) {
        const oldest = await this.repo.oldest(step.from);
        // Rows in a range already done arrived meanwhile (late events): the next run takes them.
        if (oldest === null || oldest >= cutoff || oldest < done) break;
        if (!(await lease())) return moved;
        const start = Math.floor(oldest / size) * size;
        done = Math.min(start + chunk, cutoff);
        moved += await this.repo.rollup(step.from, step.to, start, done);
      }
    }
    return moved;
  }
}
