import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { ThreadHash } from './hash-thread.js';

/** Bytes copied from the body before one write to disk and one hash update. */
export const SLAB = 1024 * 1024;
/** Slabs being written and hashed while the next one fills (then the body waits: backpressure). */
const IN_FLIGHT = 3;
/**
 * While a big upload streams in, what is written is flushed to disk in the background every this
 * many bytes, so the fdatasync before the 201 only has the tail left to write (otherwise a machine
 * with lots of RAM keeps the whole upload dirty until that one final sync).
 */
const EARLY_SYNC = 32 * 1024 * 1024;
/** Free slabs kept for the next uploads (the rest are left to the garbage collector). */
const POOLED = 4;

const freeSlabs: SharedArrayBuffer[] = [];
const takeSlab = () => freeSlabs.pop() ?? new SharedArrayBuffer(SLAB);
const giveSlab = (slab: SharedArrayBuffer) => {
  if (freeSlabs.length < POOLED) freeSlabs.push(slab);
};

/**
 * Writes a body into a new staging file and hashes it (SHA-256) in the same pass. The main thread
 * only copies the body into 1 MiB shared slabs; each full slab is written by the thread pool and
 * hashed on the hash thread at the same time (a body that fits one slab is hashed here: not worth
 * the trip). At most IN_FLIGHT slabs are out at once, so memory stays bounded whatever the size.
 * `finish` gives the open file and its digest; `abort` removes the file.
 */
export class StagingWriter {
  private file: fs.FileHandle | null = null;
  private slab: SharedArrayBuffer | null = null;
  private view: Buffer = Buffer.alloc(0);
  private fill = 0;
  /** Bytes handed to writes so far. */
  private position = 0;
  private readonly inFlight: Array<{ end: number; done: Promise<void> }> = [];
  private hash: ThreadHash | null = null;
  private failure: { error: unknown } | null = null;
  private earlySync: Promise<void> | null = null;
  private syncedUpTo = 0;

  constructor(private readonly path: string) {}

  async write(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.slab) {
        this.slab = takeSlab();
        this.view = Buffer.from(this.slab);
        this.fill = 0;
      }
      const n = chunk.copy(this.view, this.fill, offset);
      offset += n;
      this.fill += n;
      if (this.fill === SLAB) await this.dispatch();
    }
  }

  /** The file (open, not yet synced: the commit fdatasyncs it) and the digest of all bytes. */
  async finish(): Promise<{ file: fs.FileHandle; sha256: string }> {
    let sha256: string;
    if (!this.hash) {
      // Everything fits the first slab (or nothing came): hash it here, one write.
      const data = this.view.subarray(0, this.fill);
      sha256 = createHash('sha256').update(data).digest('hex');
      const file = await this.open();
      if (data.length > 0) await writeAll(file, [data], 0);
      if (this.slab) giveSlab(this.slab);
      this.slab = null;
    } else {
      if (this.fill > 0) await this.dispatch();
      while (this.inFlight.length > 0) await this.settleOldest();
      sha256 = await this.hash.digest();
    }
    await this.earlySync;
    return { file: await this.open(), sha256 };
  }

  /** Stop: wait for what is in flight, then close and remove the file. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight.map((j) => j.done));
    this.inFlight.length = 0;
    await this.earlySync;
    this.hash?.drop();
    if (this.file) {
      await this.file.close().catch(() => {});
      await fs.rm(this.path, { force: true });
    }
  }

  private async open(): Promise<fs.FileHandle> {
    return (this.file ??= await fs.open(this.path, 'wx', 0o600));
  }

  private async dispatch(): Promise<void> {
    if (this.failure) throw this.failure.error;
    const slab = this.slab!;
    const length = this.fill;
    const at = this.position;
    this.slab = null;
    this.fill = 0;
    this.position += length;
    const file = await this.open();
    const hash = (this.hash ??= new ThreadHash());
    const write = writeAll(file, [Buffer.from(slab, 0, length)], at);
    const done = Promise.all([write, hash.update(slab, length)]).then(
      () => giveSlab(slab),
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.inFlight.push({ end: at + length, done });
    if (this.inFlight.length >= IN_FLIGHT) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const job = this.inFlight.shift()!;
    await job.done;
    if (this.failure) throw this.failure.error;
    // Writes complete in any order; everything before the oldest's end is on its way only when
    // the oldest itself is done, so that is what an early sync covers.
    if (job.end - this.syncedUpTo >= EARLY_SYNC && !this.earlySync && this.file) {
      this.syncedUpTo = job.end;
      const clear = () => {
        this.earlySync = null;
      };
      this.earlySync = this.file.datasync().then(clear, clear);
    }
  }
}

/** Write every byte of `chunks` at `position` (partial writes are legal: go on after them). */
export async function writeAll(
  fh: fs.FileHandle,
  chunks: Buffer[],
  position: number,
): Promise<void> {
  let at = position;
  let rest = chunks;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const c of rest) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      next.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    rest = next;
  }
}
