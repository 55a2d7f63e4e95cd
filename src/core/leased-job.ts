import { randomUUID } from 'node:crypto';

/** Port: named leases in the shared database (portable: a conditional UPDATE decides). */
export interface LockRepository {
  /** Take or renew the lease `name` for `holder` until now + ttlMs; false if someone else holds it. */
  tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Give the lease up (only if `holder` still holds it). */
  release(name: string, holder: string): Promise<void>;
}

export interface LeasedJobOptions {
  /** Time between runs; 0 = never on a timer (runOnce only). */
  intervalMs: number;
  now?: () => number;
  /** Errors of a run (logged by the caller; the next run tries again). */
  onError?: (err: unknown) => void;
}

/**
 * Takes (or renews) the job's lease; false when another node holds it, and the work should stop.
 * A long run calls it before each batch, so the lease outlives the run.
 */
export type Lease = () => Promise<boolean>;

/**
 * A background job run on an interval in every serving process and on one node at a time: a
 * lease row in the database says who runs it. `work` renews the lease before each batch and
 * returns how much it did; the lease is given up when it ends. Runs never overlap in a process.
 */
export class LeasedJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly holder = randomUUID();
  private readonly now: () => number;

  constructor(
    private readonly name: string,
    private readonly locks: LockRepository,
    private readonly work: (lease: Lease) => Promise<number>,
    private readonly opts: LeasedJobOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer || this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.opts.onError?.(err));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** One run, if this node gets the lease; what the work did (0 when another node holds it). */
  runOnce(): Promise<number> {
    if (!this.running) this.running = this.run().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private async run(): Promise<number> {
    // The lease outlives a slow run's batches: it is renewed before each one.
    const ttl = Math.max(60_000, this.opts.intervalMs * 2);
    try {
      return await this.work(() => this.locks.tryAcquire(this.name, this.holder, ttl, this.now()));
    } finally {
      await this.locks.release(this.name, this.holder).catch(() => {});
    }
  }
}
