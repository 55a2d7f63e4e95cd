import { pipeline, Transform, type Readable } from 'node:stream';
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
  private bodies = 0;

  constructor(
    readonly stepBytes: number,
    private readonly gc: GcFunction | null,
  ) {}

  /**
   * `consume` reads one body (and reports its chunks here). While two or more bodies arrive at
   * once, no collection is forced: their batches are alive when it would run (~2 MiB each), and
   * forcing scavenges then made V8 run many more full mark-compacts. Eight 256 MiB uploads at once
   * on two workers, alternated runs: 267-307 mark-compacts and 547-717 MiB/s before, 170-178 and
   * 691-735 MiB/s now, as with no forced collection at all (bench/README.md, "Forced collections
   * and concurrent uploads"). V8's own collections free the dead chunks then; a single upload is
   * collected as before.
   */
  async receiving<T>(consume: () => Promise<T>): Promise<T> {
    this.bodies++;
    try {
      return await consume();
    } finally {
      this.bodies--;
    }
  }

  /** `bytes` of a request body were consumed (hashed, written, sent on). */
  note(bytes: number): void {
    if (!this.gc || this.bodies > 1) return;
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

/**
 * What a store reads from S3 is the same kind of garbage: the SDK's response body comes out of
 * the same parser. There the chunks did worse than take memory. While a worker passed a 1 GiB
 * object on, V8 started a full (mark-sweep) collection of its whole heap every ~50 ms ("allocation
 * limit", with the old generation at 31 of its 43 MiB: the dead chunks' native memory counted
 * against it, it seems): the GET took 2.7-3.6 s of CPU where a bare Node proxy took 1.1-1.4
 * (bench/README.md). Young-generation collections, which free little but those chunks, stop it:
 * every 8 MiB did not in the workers (their young generation is 4 MiB), every 2 MiB did, and the
 * GET took 1.05-1.13 s.
 */
export const READ_GC_STEP = 2 * 1024 * 1024;

/** The process's collector for what stores read (S3 objects' bodies, local read streams). */
export const readGarbage = new BodyGarbage(READ_GC_STEP, exposeGc());

/**
 * `source` as it flows on, each chunk reported to `garbage` (a store's read stream). Failures go
 * both ways: the source's error destroys the returned stream with it, and destroying the
 * returned stream (the client went away) destroys the source and frees its socket.
 */
export function reportingChunks(source: Readable, garbage: BodyGarbage = readGarbage): Readable {
  const through = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      garbage.note(chunk.length);
      done(null, chunk);
    },
  });
  // The outcome reaches the consumer through `through` (destroyed with the source's error).
  pipeline(source, through, () => {});
  return through;
}
