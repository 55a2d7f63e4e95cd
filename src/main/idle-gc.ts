import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Give memory back once a burst of work is over. V8 only collects garbage when JavaScript
 * allocates, so a server that goes quiet after a load keeps the heap (and the young generation)
 * grown for it, and the native memory that dead Buffers still hold, for as long as it stays
 * quiet: after a soak, ~60 MiB of RSS that no live object uses (see docs/DEPLOYMENT.md, memory).
 *
 * Every `intervalMs` this checks how busy the event loop was. After a period of work (utilisation
 * at least `busy`), it runs a full collection in each of the next two quiet intervals (below
 * `quiet`; the second one frees what the first one's finalizers released: external memory of
 * native objects went from 40 to 7 MiB there), then waits for work again: an idle server is
 * never woken up, a busy one never paused.
 */
export function startIdleGc(
  opts: { intervalMs?: number; busy?: number; quiet?: number; gc?: () => void } = {},
): () => void {
  const { intervalMs = 5000, busy = 0.05, quiet = 0.01 } = opts;
  const gc = opts.gc ?? exposeGc();
  if (!gc) return () => {};
  let last = performance.eventLoopUtilization();
  let owed = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (utilization >= busy) owed = 2;
    else if (owed > 0 && utilization < quiet) {
      owed--;
      gc();
      // The collection itself is not work: measure the next interval from here.
      last = performance.eventLoopUtilization();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The `gc()` function V8 offers with --expose-gc, made available at run time. */
function exposeGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
