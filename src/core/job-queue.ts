/** Raised for jobs the queue will not run: it is closed, or full (background jobs only). */
export class JobRejected extends Error {
  constructor(readonly reason: 'closed' | 'full') {
    super(reason === 'closed' ? 'the job queue is closed' : 'the job queue is full');
    this.name = 'JobRejected';
  }
}

export type JobPriority = 'interactive' | 'background';

interface Pending {
  run: (signal: AbortSignal) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * At most `concurrency` jobs at a time. Interactive jobs (a request is waiting) go before
 * background ones; background jobs beyond `maxQueued` are refused rather than piling up. Each job
 * gets a signal that is aborted by `close`, which refuses what is still queued and waits for what
 * is running.
 */
export class JobQueue {
  private readonly interactive: Pending[] = [];
  private readonly background: Pending[] = [];
  private running = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued = 10_000,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('concurrency must be >= 1');
  }

  get size(): { running: number; queued: number } {
    return { running: this.running, queued: this.interactive.length + this.background.length };
  }

  run<T>(fn: (signal: AbortSignal) => Promise<T>, priority: JobPriority): Promise<T> {
    if (this.closed) return Promise.reject(new JobRejected('closed'));
    if (priority === 'background' && this.background.length >= this.maxQueued) {
      return Promise.reject(new JobRejected('full'));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Pending = { run: fn, resolve: resolve as (v: unknown) => void, reject };
      (priority === 'interactive' ? this.interactive : this.background).push(job);
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.concurrency) {
      const job = this.interactive.shift() ?? this.background.shift();
      if (!job) break;
      this.running++;
      void Promise.resolve()
        .then(() => job.run(this.abort.signal))
        .then(job.resolve, job.reject)
        .finally(() => {
          this.running--;
          this.next();
        });
    }
    if (this.running === 0 && this.interactive.length === 0 && this.background.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once nothing is running or queued. */
  idle(): Promise<void> {
    if (this.running === 0 && this.interactive.length === 0 && this.background.length === 0) {
      return Promise.resolve();
    }
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Refuse queued jobs, abort the running ones' signals, and wait for them to settle. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.interactive.splice(0).concat(this.background.splice(0))) {
      job.reject(new JobRejected('closed'));
    }
    this.abort.abort();
    await this.idle();
  }
}
