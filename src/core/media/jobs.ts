import { JobQueue, type JobPriority } from '../job-queue.js';

/**
 * The media layer's work: one bounded queue every decode goes through, concurrent requests for the
 * same thing sharing one job, and the background writes and deletes idle/close wait for.
 */
export class MediaJobs {
  private readonly queue: JobQueue;
  /** Queued work by key and priority: concurrent requests for the same thing share one job. */
  private readonly requests = new Map<string, Promise<unknown>>();
  /** Work running inside a job, by key: a job needing what another computes waits for it. */
  private readonly computing = new Map<string, Promise<unknown>>();
  /** Background writes and deletes (stored thumbnails, released blobs): awaited by idle/close. */
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(concurrency: number, maxQueued: number) {
    this.queue = new JobQueue(concurrency, maxQueued);
  }

  queued<T>(
    key: string,
    priority: JobPriority,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const k = `${key}|${priority}`;
    let p = this.requests.get(k) as Promise<T> | undefined;
    if (!p) {
      p = this.queue.run(fn, priority).finally(() => this.requests.delete(k));
      this.requests.set(k, p);
    }
    return p;
  }

  /** Inside a running job: share work another running job is already doing. */
  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.computing.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn().finally(() => this.computing.delete(key));
      this.computing.set(key, p);
    }
    return p;
  }

  /** A background task idle/close wait for (its failures handled by the caller). */
  track(p: Promise<unknown>): void {
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p));
  }

  /** Resolves once no job is queued or running and background tasks are done. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0 || this.queue.size.running > 0 || this.queue.size.queued > 0) {
      await this.queue.idle();
      await Promise.allSettled([...this.tasks]);
    }
  }

  /** Refuse queued jobs, abort running ones, and wait for what is in flight. */
  async close(): Promise<void> {
    await this.queue.close();
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}
