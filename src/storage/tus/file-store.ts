import { createHash, type Hash } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { ERRORS, type Upload } from '@tus/utils';
import type { ResumableBytes } from '../../core/resumable/records.js';
import { writeAll } from '../local-blob-store.js';
import { bodyGarbage } from '../../gc/body-garbage.js';

/** tus upload ids are ours (see `newUploadId`): 32 hex digits, nothing a path could abuse. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** Bytes gathered before one write to disk (as LocalBlobStore.put does). */
const WRITE_BATCH = 1024 * 1024;
/** Written bytes are flushed in the background every this many, so the final sync is short. */
const EARLY_SYNC = 32 * 1024 * 1024;
/** Hash states not used for this long are dropped (their upload went to another process). */
const HASH_IDLE_MS = 3_600_000;

/** The extensions Stowage declares (no creation-defer-length: Upload-Length is required). */
export const TUS_EXTENSIONS = ['creation', 'creation-with-upload', 'termination', 'expiration'];

export function isUploadId(id: string): boolean {
  return UPLOAD_ID.test(id);
}

interface HashState {
  hash: Hash;
  /** The bytes hashed so far: the state is good only for a write starting exactly here. */
  offset: number;
  usedAt: number;
}

/**
 * The embedded stack's tus store: @tus/file-store in `<data>/staging/tus/` (beside the local blob
 * store's staging files, on the same file system, so finishing an upload is a rename), with
 * writes batched like the blob store's and the SHA-256 computed as PATCH bodies arrive. The hash
 * state lives in this process and is only kept while the writes it saw are contiguous; otherwise
 * it is dropped and `adopt` hashes the file once more. Expiry is the core's (the database rows):
 * the store itself never expires anything.
 */
export class TusFileStore extends FileStore implements ResumableBytes {
  private readonly hashes = new Map<string, HashState>();

  constructor(readonly dir: string) {
    // Made here, synchronously: FileStore's own mkdir throws from a callback (an uncaught
    // exception) when it fails; this way a data dir that cannot take it fails the start instead.
    fsSync.mkdirSync(dir, { recursive: true });
    super({ directory: dir, expirationPeriodInMilliseconds: 0 });
    this.extensions = [...TUS_EXTENSIONS];
  }

  refOf(id: string): string {
    return `tus/${id}`;
  }

  override async create(file: Upload): Promise<Upload> {
    if (!isUploadId(file.id)) throw ERRORS.FILE_NOT_FOUND;
    this.hashes.set(file.id, { hash: createHash('sha256'), offset: 0, usedAt: Date.now() });
    return super.create(file);
  }

  override async getUpload(id: string): Promise<Upload> {
    if (!isUploadId(id)) throw ERRORS.FILE_NOT_FOUND;
    return super.getUpload(id);
  }

  sha256Of(id: string, size: number): string | undefined {
    const s = this.hashes.get(id);
    return s && s.offset === size ? s.hash.copy().digest('hex') : undefined;
  }

  override async remove(id: string): Promise<void> {
    if (!isUploadId(id)) throw ERRORS.FILE_NOT_FOUND;
    this.hashes.delete(id);
    let found = false;
    for (const p of [path.join(this.dir, id), path.join(this.dir, `${id}.json`)]) {
      await fs.unlink(p).then(
        () => (found = true),
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        },
      );
    }
    if (!found) throw ERRORS.FILE_NOT_FOUND;
  }

  override write(readable: Readable, id: string, offset: number): Promise<number> {
    return bodyGarbage.receiving(() => this.receive(readable, id, offset));
  }

  private async receive(readable: Readable, id: string, offset: number): Promise<number> {
    if (!isUploadId(id)) throw ERRORS.FILE_NOT_FOUND;
    const state = this.hashState(id, offset);
    const fh = await fs.open(path.join(this.dir, id), 'r+');
    let position = offset;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    let earlySync: Promise<unknown> | null = null;
    let syncedUpTo = offset;
    const flush = async () => {
      const chunks = batch;
      const at = position;
      position += batchBytes;
      batch = [];
      batchBytes = 0;
      await inFlight;
      inFlight = writeAll(fh, chunks, at);
      if (position - syncedUpTo >= EARLY_SYNC && !earlySync) {
        syncedUpTo = at;
        earlySync = fh.datasync().then(
          () => (earlySync = null),
          () => (earlySync = null),
        );
      }
    };
    try {
      for await (const chunk of readable as AsyncIterable<Buffer>) {
        state?.hash.update(chunk);
        bodyGarbage.note(chunk.length);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH) await flush();
      }
      if (batchBytes > 0) await flush();
      await inFlight;
      if (state) {
        state.offset = position;
        state.usedAt = Date.now();
      }
      return position;
    } catch {
      // What was written is a contiguous prefix (the next offset is the file's size); the hash
      // may have seen bytes that were not written: it is dropped.
      this.hashes.delete(id);
      await inFlight.catch(() => {});
      throw ERRORS.FILE_WRITE_ERROR;
    } finally {
      // The early flush is not waited for: it only shortens the final sync of the whole file
      // (adopt's), and a PATCH answered meanwhile lets the client start the next one. The file
      // is closed once it is done.
      const closing = () => fh.close().catch(() => {});
      if (earlySync) void (earlySync as Promise<unknown>).then(closing);
      else await closing();
    }
  }

  /** The hash state to continue for a write at `offset`, or null (dropped: adopt rehashes). */
  private hashState(id: string, offset: number): HashState | null {
    const now = Date.now();
    if (this.hashes.size > 1000) {
      for (const [k, s] of this.hashes) if (now - s.usedAt > HASH_IDLE_MS) this.hashes.delete(k);
    }
    const s = this.hashes.get(id);
    if (s && s.offset === offset) return s;
    this.hashes.delete(id);
    if (offset !== 0) return null;
    const fresh = { hash: createHash('sha256'), offset: 0, usedAt: now };
    this.hashes.set(id, fresh);
    return fresh;
  }
}
