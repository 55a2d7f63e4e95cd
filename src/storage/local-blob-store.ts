import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  HEAD_BYTES,
  inlineBlob,
  stagedBlob,
  putFailure,
  type AdoptOptions,
  type BlobReader,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StagedBlob,
} from '../core/blob-store.js';
import { CoreError } from '../core/errors.js';
import { abandonedStaging, stagingName } from './staging-owner.js';
import { bodyGarbage, reportingChunks } from '../gc/body-garbage.js';

/** Bytes gathered before one write to disk: one thread-pool hop per MiB instead of per 64 KiB. */
const WRITE_BATCH = 1024 * 1024;
/**
 * While a big upload streams in, its written bytes are flushed to disk in the background every
 * this many bytes, so the fdatasync before the 201 only has the tail left to write (otherwise
 * a machine with lots of RAM keeps the whole upload dirty until that one final sync).
 */
const EARLY_SYNC = 32 * 1024 * 1024;
/** Read chunk for downloads (see spec/performance.md: 64 KiB chunks cost ~3x). */
const READ_CHUNK = 1024 * 1024;

const LOCATION = /^[0-9a-f]{64}\.[0-9a-f]{16}$/;
/** What `adopt` accepts: a resumable upload's file in the tus folder of the staging area. */
const TUS_REF = /^tus\/[0-9a-f]{32}$/;
/** The staging area's folder for resumable (tus) uploads (see src/storage/tus/). */
export const TUS_STAGING = 'tus';

/**
 * Blobs on local disk: `<root>/blobs/ab/cd/<sha256>.<nonce>`. Uploads stream into
 * `<root>/staging/` and are hashed in the same pass; `commit` fdatasyncs them and renames them
 * into place (followed by an fsync of the directory), `discard` (identical content already
 * stored) just drops them. Names from users never reach a path here: only
 * locations matching LOCATION do.
 */
export class LocalBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly stagingDir: string;
  private readonly knownDirs = new Set<string>();

  constructor(root: string) {
    this.blobsDir = path.join(root, 'blobs');
    this.stagingDir = path.join(root, 'staging');
  }

  /**
   * `cleanStaging` (a serving process or worker starting): remove the staging files of processes
   * that are gone (a crash, a worker killed under `--workers`) and the unowned ones of earlier
   * versions; never those of live processes. The CLI leaves staging alone (`gc --fix` cleans it).
   */
  async open({ cleanStaging }: { cleanStaging: boolean }): Promise<void> {
    await fs.mkdir(this.stagingDir, { recursive: true });
    await fs.mkdir(this.blobsDir, { recursive: true });
    if (cleanStaging) await abandonedStaging(this.stagingDir, { remove: true, legacy: true });
  }

  async abandonedUploads(opts: { remove: boolean }): Promise<number> {
    return abandonedStaging(this.stagingDir, { ...opts, legacy: false });
  }

  async ping(): Promise<void> {
    await fs.access(this.stagingDir, fs.constants.W_OK);
    await fs.access(this.blobsDir, fs.constants.W_OK);
  }

  async close(): Promise<void> {}

  pathOf(location: string): string {
    if (!LOCATION.test(location)) throw new CoreError('not_found', 'invalid blob location');
    return path.join(this.blobsDir, location.slice(0, 2), location.slice(2, 4), location);
  }

  localPath(location: string): string | null {
    return LOCATION.test(location) ? this.pathOf(location) : null;
  }

  put(body: Readable, opts: PutOptions): Promise<StagedBlob> {
    return bodyGarbage.receiving(() => this.receive(body, opts));
  }

  private async receive(body: Readable, opts: PutOptions): Promise<StagedBlob> {
    const tmp = path.join(this.stagingDir, stagingName());
    // Opened only once the body outgrows opts.inlineMax: a small body never touches the disk here.
    let fh: fs.FileHandle | null = null;
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    let closed = false;
    let earlySync: Promise<unknown> | null = null;
    const fail = async (err: unknown): Promise<never> => {
      body.destroy();
      if (fh && !closed) await fh.close().catch(() => {});
      closed = true;
      if (fh) await fs.rm(tmp, { force: true });
      throw putFailure(err, 'Something went wrong while writing the file to disk');
    };
    try {
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let position = 0;
      // One write in flight while the next batch is gathered from the socket.
      let inFlight: Promise<unknown> = Promise.resolve();
      let syncedUpTo = 0;
      const flush = async (): Promise<void> => {
        const chunks = batch;
        const at = position;
        position += batchBytes;
        batch = [];
        batchBytes = 0;
        await inFlight;
        const file = (fh ??= await fs.open(tmp, 'wx', 0o600));
        inFlight = writeAll(file, chunks, at);
        if (position - syncedUpTo >= EARLY_SYNC && !earlySync) {
          syncedUpTo = at;
          // Covers what was written before this batch; at most one runs at a time.
          earlySync = file.datasync().then(
            () => (earlySync = null),
            () => (earlySync = null),
          );
        }
      };
      let ended = false;
      body.once('end', () => (ended = true));
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > opts.maxBytes) {
          throw new CoreError('file_too_large', 'The file you tried to upload is too large', {
            max_size: opts.maxBytes,
          });
        }
        hash.update(chunk);
        bodyGarbage.note(chunk.length);
        if (head.length < HEAD_BYTES)
          head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH) await flush();
      }
      // An IncomingMessage whose client vanished can end the iteration without an error.
      if (!ended && (body as { complete?: boolean }).complete === false) {
        throw Object.assign(new Error('request aborted'), { code: 'ECONNRESET' });
      }
      if (
        fh === null &&
        opts.inlineMax !== undefined &&
        opts.inlineMax > 0 &&
        size <= opts.inlineMax
      ) {
        const sha256 = hash.digest('hex');
        return inlineBlob(sha256, Buffer.concat(batch, batchBytes), head);
      }
      if (batchBytes > 0) await flush();
      await inFlight;
      fh ??= await fs.open(tmp, 'wx', 0o600); // an empty body still becomes a (0-byte) blob
    } catch (err) {
      await earlySync;
      return fail(err);
    }
    const sha256 = hash.digest('hex');
    return this.stagedFile(tmp, fh as fs.FileHandle, sha256, size, head, earlySync);
  }

  /** Open a blob for reading; a missing one is not_found (here, not later on a stream). */
  private async openBlob(location: string): Promise<fs.FileHandle> {
    try {
      return await fs.open(this.pathOf(location), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CoreError('not_found', 'blob missing');
      }
      throw err;
    }
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    const fh = await this.openBlob(location);
    // A new 1 MiB Buffer per read, garbage once sent on: collected young (see reportingChunks;
    // a 1 GiB zip of it ran ~40 full collections in one of three downloads without).
    return reportingChunks(
      createReadStream('', {
        fd: fh,
        start: range?.start,
        end: range?.end,
        highWaterMark: READ_CHUNK,
      }),
    );
  }

  async openReader(location: string): Promise<BlobReader> {
    const fh = await this.openBlob(location);
    return {
      read: async (into, position) => (await fh.read(into, 0, into.length, position)).bytesRead,
      close: () => fh.close(),
    };
  }

  async read(location: string, range?: ByteRange): Promise<Buffer> {
    const fh = await this.openBlob(location);
    try {
      if (range) {
        const len = range.end - range.start + 1;
        const buf = Buffer.allocUnsafe(len);
        const { bytesRead } = await fh.read(buf, 0, len, range.start);
        return buf.subarray(0, bytesRead);
      }
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async stat(location: string): Promise<{ size: number; modifiedAt: number } | null> {
    const s = await fs.stat(this.pathOf(location)).catch(() => null);
    return s ? { size: s.size, modifiedAt: s.mtimeMs } : null;
  }

  owns(location: string): boolean {
    return LOCATION.test(location);
  }

  async delete(location: string): Promise<void> {
    // One unlink (fs.rm stats first: two trips to the thread pool per blob); gone already is fine.
    await fs.unlink(this.pathOf(location)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** The tus uploads' folder (their bytes are adopted from there by a rename). */
  get tusDir(): string {
    return path.join(this.stagingDir, TUS_STAGING);
  }

  /** Staging files being written, and unfinished resumable uploads (their data files). */
  async pendingUploads(): Promise<number> {
    const staging = await fs.readdir(this.stagingDir, { withFileTypes: true }).catch(() => []);
    const tus = await fs.readdir(this.tusDir).catch(() => [] as string[]);
    return (
      staging.filter((e) => e.isFile()).length + tus.filter((n) => !n.endsWith('.json')).length
    );
  }

  /**
   * A resumable upload's bytes (`tus/<id>` under staging) as a staged blob: hashed now unless
   * `opts.sha256` says what they hash to, kept inline when small (the file is removed), else
   * renamed into place on commit (after an fdatasync), as `put`'s are.
   */
  async adopt(ref: string, opts: AdoptOptions): Promise<StagedBlob> {
    if (!TUS_REF.test(ref)) throw new CoreError('storage_failed', 'invalid upload reference');
    const tmp = path.join(this.stagingDir, ref);
    const fh = await fs.open(tmp, 'r').catch((err: unknown) => {
      throw new CoreError('storage_failed', 'The upload has no bytes', undefined, { cause: err });
    });
    let keep = false;
    try {
      const { size } = await fh.stat();
      if (size !== opts.size) {
        throw new CoreError('storage_failed', `The upload has ${size} bytes, not ${opts.size}`);
      }
      const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
      await fh.read(head, 0, head.length, 0);
      if (opts.inlineMax !== undefined && opts.inlineMax > 0 && size <= opts.inlineMax) {
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, 0);
        const sha256 = createHash('sha256').update(data).digest('hex');
        await fh.close();
        await fs.rm(tmp, { force: true });
        return inlineBlob(sha256, data, head);
      }
      const sha256 = opts.sha256 ?? (await hashFile(fh, size));
      keep = true;
      return this.stagedFile(tmp, fh, sha256, size, head);
    } finally {
      if (!keep) await fh.close().catch(() => {});
    }
  }

  /**
   * Staged bytes in `tmp` (open as `file`): commit makes them durable and renames them into place,
   * discard removes them. `flushing`: a background flush of the file still running (waited for
   * before either).
   */
  private stagedFile(
    tmp: string,
    file: fs.FileHandle,
    sha256: string,
    size: number,
    head: Buffer,
    flushing: Promise<unknown> | null = null,
  ): StagedBlob {
    let closed = false;
    const close = async () => {
      if (!closed) await file.close().catch(() => {});
      closed = true;
    };
    return stagedBlob(
      { sha256, size, head },
      {
        commit: async () => {
          const location = `${sha256}.${randomBytes(8).toString('hex')}`;
          const final = this.pathOf(location);
          try {
            // Durable before it becomes visible: data first, then the directory entry.
            await flushing;
            await file.datasync();
            await file.close();
            closed = true;
            const dir = path.dirname(final);
            if (!this.knownDirs.has(dir)) {
              await fs.mkdir(dir, { recursive: true });
              this.knownDirs.add(dir);
            }
            await fs.rename(tmp, final);
            await fsyncDir(dir);
            return location;
          } catch (err) {
            await close();
            await fs.rm(tmp, { force: true });
            throw new CoreError(
              'storage_failed',
              'Something went wrong while writing the file to disk',
              undefined,
              { cause: err },
            );
          }
        },
        discard: async () => {
          await flushing;
          await close();
          await fs.rm(tmp, { force: true });
        },
      },
    );
  }

  async *list(): AsyncGenerator<string> {
    const level = async (dir: string) =>
      (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) =>
        e.isDirectory(),
      );
    for (const a of await level(this.blobsDir)) {
      for (const b of await level(path.join(this.blobsDir, a.name))) {
        const dir = path.join(this.blobsDir, a.name, b.name);
        for (const name of await fs.readdir(dir).catch(() => [])) {
          if (LOCATION.test(name)) yield name;
        }
      }
    }
  }
}

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
    // Partial writes are rare but legal: drop what was written and go on.
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

async function fsyncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** The SHA-256 of a file's first `size` bytes, read in 1 MiB positional reads. */
async function hashFile(fh: fs.FileHandle, size: number): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  let at = 0;
  while (at < size) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(READ_CHUNK, size - at), at);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    at += bytesRead;
  }
  return hash.digest('hex');
}
