import { exposeGc, type GcFunction } from './expose.js';

/**
 * Request bodies' chunks die young, but pile up until the young generation is collected. Node's
 * HTTP parser copies each piece of a body it reads from a socket into a Buffer of its own (up to
 * 64 KiB, its bytes outside V8's heap). A store hashes and writes it, then drops it: garbage after
 * a few milliseconds. But only JavaScript allocation schedules a young-generation collection, and
 * a chunk is ~100 bytes of JavaScript for 64 KiB of native memory: one 1 GiB PUT let 35-40 MiB of
 * dead chunks accumulate between two collections, and the worker's peak RSS went from 113 to
 * 150-160 MiB (bench/README.md, memory).
 *
 * So the stores report each body chunk here, and every `stepBytes` of them a young-generation
 * collection runs (a scavenge: few young objects are alive). Measured on a 1 GiB PUT, one
 * process, `--trace-gc`: 127 such scavenges, median 0.65 ms, 122 ms in all, on an event loop
 * that waits for the disk ~45% of the upload. The worker's peak RSS: 132-134 MiB against
 * 159-162 without, no slower within the bench's noise; with a 16 MiB step, 137-143.
 */
export class BodyGarbage {
  private seen = 0;

  constructor(
    readonly stepBytes: number,
    private readonly gc: GcFunction | null,
  ) {}

  /** `bytes` of a request body were consumed (hashed, written, sent on). */
  note(bytes: number): void {
    if (!this.gc) return;
    this.seen += bytes;
    if (this.seen < this.stepBytes) return;
    this.seen = 0;
    this.gc({ type: 'minor' });
  }
}

/** Every 8 MiB of request bodies received by this process: at most ~8 MiB of dead chunks. */
export const BODY_GC_STEP = 8 * 1024 * 1024;

/** The process's collector, which every store that consumes request bodies reports to. */
export const bodyGarbage = new BodyGarbage(BODY_GC_STEP, exposeGc());
