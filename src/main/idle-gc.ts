import { performance } from 'node:perf_hooks';
import { exposeGc } from '../gc/expose.js';
import { nativeHeapTrim } from '../gc/native-heap.js';

/**
 * Give memory back once a burst of work is over. V8 only collects garbage when JavaScript
 * allocates, so a server that goes quiet after a load keeps the heap (and the young generation)
 * grown for it, and the native memory that dead Buffers still hold, for as long as it stays
 * quiet: after a soak, ~60 MiB of RSS that no live object uses (see docs/DEPLOYMENT.md, memory).
 *
 * Every `intervalMs` this checks how busy the event loop was. After a period of work (utilisation
 * at least `busy`), it runs a full collection in each of the next two quiet intervals (below
 * `quiet`; the second one frees what the first one's finalizers released: external memory of
 * native objects went from 40 to 7 MiB there), then gives the C heap's free pages back to the
 * system (`trim`: glibc's malloc_trim, src/gc/native-heap.ts; ~70 MiB after a soak), then waits for
 * work again: an idle server is never woken up, a busy one never paused.
 */
export function startIdleGc(
  opts: {
    intervalMs?: number;
    busy?: number;
    quiet?: number;
    gc?: () => void;
    /** Called after the second collection; null: none. Defaults to glibc's malloc_trim. */
    trim?: (() => unknown) | null;
    /** The event loop's utilisation since the previous call (tests drive it). */
    utilization?: () => number;
  } = {},
): () => void {
  const { intervalMs = 5000 } = opts;
  const gc = opts.gc ?? exposeGc();
  if (!gc) return () => {};
  const policy = new IdleGcPolicy(opts.busy ?? 0.05, opts.quiet ?? 0.01);
  const utilization = opts.utilization ?? loopUtilization();
  const timer = setInterval(() => {
    if (policy.collectAfter(utilization())) {
      gc();
      if (policy.settled) {
        const trim = opts.trim === undefined ? nativeHeapTrim() : opts.trim;
        trim?.();
      }
      // The collection itself is not work: measure the next interval from here.
      utilization();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * When to collect: after an interval at least `busy`, in each of the next two intervals below
 * `quiet` (intervals in between neither collect nor cancel what is owed).
 */
export class IdleGcPolicy {
  private owed = 0;

  constructor(
    private readonly busy: number,
    private readonly quiet: number,
  ) {}

  /** Given the last interval's utilisation, whether to collect now. */
  collectAfter(utilization: number): boolean {
    if (utilization >= this.busy) {
      this.owed = 2;
      return false;
    }
    if (this.owed > 0 && utilization < this.quiet) {
      this.owed--;
      return true;
    }
    return false;
  }

  /** Whether the collections owed since the last work are all done (true before any work). */
  get settled(): boolean {
    return this.owed === 0;
  }
}

/** A function answering the event loop's utilisation since its previous call. */
function loopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}
