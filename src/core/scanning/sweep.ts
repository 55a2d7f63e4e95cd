import { LeasedJob, type LockRepository } from '../leased-job.js';
import type { ScanRepository } from './records.js';
import type { ScanService } from './scan-service.js';

export interface ScanSweepOptions {
  /** Time between sweeps; 0 = never on a timer (runOnce only). */
  intervalMs: number;
  /** `error` results are scanned again once they are this old. */
  retryMs: number;
  /** Blobs queued per batch. */
  batch?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export const SCAN_SWEEP_LOCK = 'virus-scan-sweep';

/**
 * The catch-up sweep: blobs with no result (uploaded while the scanner was down, or before
 * scanning was on) are queued, and `error` results retried once old enough. One node at a time (a
 * lease); the scans themselves are claimed per blob, so they never repeat a node's running scan.
 * Nothing happens while the scanner cannot be reached.
 */
export class ScanSweep {
  private readonly job: LeasedJob;

  constructor(
    private readonly scans: ScanService,
    private readonly repo: ScanRepository,
    locks: LockRepository,
    opts: ScanSweepOptions,
  ) {
    const batch = opts.batch ?? 200;
    const now = opts.now ?? Date.now;
    this.job = new LeasedJob(
      SCAN_SWEEP_LOCK,
      locks,
      async (lease) => {
        if (!(await lease()) || !(await this.scans.reachable())) return 0;
        await this.repo.resetErrors(now() - opts.retryMs);
        let total = 0;
        for (;;) {
          if (!(await lease())) return total;
          const keys = await this.repo.listUnscanned(now(), batch);
          const before = this.scans.counts.scans;
          await Promise.all(keys.map((k) => this.scans.enqueue(k)));
          total += keys.length;
          // Stop when a batch scanned nothing (the rest is claimed elsewhere, or clamd went away).
          if (keys.length < batch || this.scans.counts.scans === before) return total;
        }
      },
      opts,
    );
  }

  start(): void {
    this.job.start();
  }

  /** One sweep, if this node gets the lease: how many blobs it queued. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }
}
