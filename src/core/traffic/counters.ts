import {
  emptyDelta,
  MINUTE_MS,
  type CounterDelta,
  type FileCounterDelta,
  type TrafficRepository,
} from './records.js';

/**
 * Counter deltas summed in memory and written in one batch at most every `flushMs`: no database
 * round trip per event. Each file's deltas are also kept per minute of the events' time (the time
 * series buckets by when things happened, not when they were written). `flush()` first waits for
 * the work registered with `track()` (events whose de-duplication is still being decided), so a
 * flush includes every event seen before it.
 */
export class CounterBuffer {
  private deltas = new Map<string, FileCounterDelta>();
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly repo: TrafficRepository,
    private readonly opts: {
      flushMs: number;
      now: () => number;
      /** Called after a batch is written, with the files it touched (caches to drop). */
      onFlushed?: (ids: readonly string[]) => void;
    },
  ) {}

  /** Add to a file's counters; `at` is when the event happened (default now). */
  add(id: string, d: Partial<CounterDelta>, at = this.opts.now()): void {
    let c = this.deltas.get(id);
    if (!c) this.deltas.set(id, (c = { ...emptyDelta(), minutes: new Map() }));
    const minute = at - (at % MINUTE_MS);
    let m = c.minutes.get(minute);
    if (!m) c.minutes.set(minute, (m = emptyDelta()));
    const views = d.views ?? 0;
    const downloads = d.downloads ?? 0;
    const bandwidth = d.bandwidth ?? 0;
    const paid = d.bandwidthPaid ?? 0;
    c.views += views;
    c.downloads += downloads;
    c.bandwidth += bandwidth;
    c.bandwidthPaid += paid;
    m.views += views;
    m.downloads += downloads;
    m.bandwidth += bandwidth;
    m.bandwidthPaid += paid;
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.flushMs);
      this.timer.unref();
    }
  }

  /** Not yet written for this file (live counters add it to the stored ones). */
  pending(id: string): CounterDelta | undefined {
    return this.deltas.get(id);
  }

  track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => {});
  }

  async flush(): Promise<void> {
    if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.deltas.size === 0) return;
    const batch = this.deltas;
    this.deltas = new Map();
    try {
      await this.repo.addCounters(batch, this.opts.now());
    } catch {
      // Counting is best-effort: a failed batch is dropped rather than blocking downloads.
    }
    this.opts.onFlushed?.([...batch.keys()]);
  }
}
