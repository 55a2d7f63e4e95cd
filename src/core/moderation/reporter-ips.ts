import { LeasedJob, type LockRepository } from '../leased-job.js';
import type { ReportService } from './reports.js';

export const REPORTER_IPS_LOCK = 'reporter-ip-hash';

/**
 * Replaces reporters' addresses older than 30 days by their salted hash: on an interval in serving
 * processes, one node at a time (a lease row says who), like the expiry sweep.
 */
export class ReporterIpHasher {
  private readonly job: LeasedJob;

  constructor(
    reports: ReportService,
    locks: LockRepository,
    opts: { intervalMs: number; now?: () => number; onError?: (err: unknown) => void },
  ) {
    this.job = new LeasedJob(
      REPORTER_IPS_LOCK,
      locks,
      (lease) => reports.hashOldAddresses(lease),
      opts,
    );
  }

  start(): void {
    this.job.start();
  }

  /** One run if this node gets the lease: how many addresses were hashed. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }
}
