import { CoreError } from './errors.js';
import type { Readable } from 'node:stream';

/** Reads at a position into a given buffer; returns the bytes read (0 at the end). */
export interface BlobReader {
  read(into: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Inclusive byte range, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Bytes that have been received, hashed and made durable in a staging area. `commit` moves them to
 * a location of their own (`<sha256>.<nonce>`) and returns it; `discard` throws them away.
 *
 * Every committed copy has a unique location, so deciding which copy is *the* blob for a content
 * hash is left to the metadata transaction (the first row wins; later identical copies are deleted
 * again), and a delete only ever removes the location of the row it removed. No lock is needed
 * between processes or nodes.
 */
export interface StagedBlob {
  /** Content key: the SHA-256 in hex. */
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** The first bytes (up to 4 KiB), for type detection. */
  readonly head: Buffer;
  /**
   * The whole body, when it was no longer than `PutOptions.inlineMax`: nothing was written to the
   * store, the bytes are kept with the metadata instead (commit is not called for these).
   */
  readonly inline?: Buffer;
  commit(): Promise<string>;
  discard(): Promise<void>;
}

export const HEAD_BYTES = 4096;

/**
 * What a failed `put` means, for every store: a CoreError passes through; a client that went away
 * is `upload_aborted`; anything else is `storage_failed`.
 */
export function putFailure(err: unknown, storageMessage: string): CoreError {
  if (err instanceof CoreError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR') {
    return new CoreError(
      'upload_aborted',
      'The client went away before the upload finished',
      undefined,
      { cause: err },
    );
  }
  return new CoreError('storage_failed', storageMessage, undefined, { cause: err });
}

export interface PutOptions {
  /** The body is cut off (and the staging data removed) as soon as it exceeds this many bytes. */
  maxBytes: number;
  /** Bodies up to this size come back as `inline` bytes instead of being stored (0: never). */
  inlineMax?: number;
}

export interface AdoptOptions {
  /** The size the upload declared; the bytes found must be exactly this long. */
  size: number;
  /** The SHA-256 (hex) computed while receiving, if the whole body went through one process. */
  sha256?: string;
  /** Bodies up to this size come back as `inline` bytes (and the upload's bytes are removed). */
  inlineMax?: number;
}

/** The location recorded for blobs whose bytes live in the metadata (see `StagedBlob.inline`). */
export const INLINE_LOCATION = 'inline';

/** A staged blob for a small body kept in memory; any store can return one. */
export function inlineBlob(sha256: string, data: Buffer, head: Buffer): StagedBlob {
  return {
    key: sha256,
    sha256,
    size: data.length,
    head,
    inline: data,
    commit: () => Promise.reject(new Error('inline blobs are stored with the metadata')),
    discard: () => Promise.resolve(),
  };
}

/**
 * A staged blob of a store: its content facts and how it is committed or discarded, settled at
 * most once (a second commit throws; a discard after either is nothing).
 */
export function stagedBlob(
  content: { sha256: string; size: number; head: Buffer },
  settle: { commit(): Promise<string>; discard(): Promise<void> },
): StagedBlob {
  let settled = false;
  return {
    key: content.sha256,
    sha256: content.sha256,
    size: content.size,
    head: content.head,
    commit: async () => {
      if (settled) throw new Error('staged blob already settled');
      settled = true;
      return settle.commit();
    },
    discard: async () => {
      if (settled) return;
      settled = true;
      await settle.discard();
    },
  };
}

/**
 * The one port for file bytes. Implementations: local disk (default), in-memory (tests),
 * S3-compatible (scale-out). `location` is what `commit` returned.
 */
export interface BlobStore {
  /** Prepare the store; `cleanStaging` removes partial uploads left by a crash (server start only). */
  open(opts: { cleanStaging: boolean }): Promise<void>;
  /** Stream `body` into staging, hashing in the same pass. Rejects with CoreError file_too_large / upload_aborted / storage_failed. */
  put(body: Readable, opts: PutOptions): Promise<StagedBlob>;
  /** A stream of the blob's bytes, or of one inclusive range of them. */
  get(location: string, range?: ByteRange): Promise<Readable>;
  /** Small blobs in one call (used for the small-file fast path). */
  read(location: string, range?: ByteRange): Promise<Buffer>;
  stat(location: string): Promise<{ size: number; modifiedAt?: number } | null>;
  /** Whether a location is of this store's making (its format), without asking the store. */
  owns(location: string): boolean;
  /**
   * Optional: positional reads into the caller's buffers, so a download can recycle a few buffers
   * instead of allocating one per chunk (garbage collection was 15% of a 1 GiB download).
   */
  openReader?(location: string): Promise<BlobReader>;
  /**
   * Optional: the local file holding a blob, for programs that need a path (ffmpeg, pdftoppm);
   * null when there is none. Stores without local files leave it out (the bytes are copied).
   */
  localPath?(location: string): string | null;
  delete(location: string): Promise<void>;
  /**
   * Optional: a time-limited URL the client can fetch the bytes from directly (S3 presigned GET),
   * with the response headers given.
   */
  signedUrl?(
    location: string,
    opts: { contentType: string; disposition: string; expiresIn: number },
  ): Promise<string>;
  /** Every committed location in the store (for `stowage gc` and storage migration). */
  list(): AsyncIterable<string>;
  /**
   * Uploads in progress or left behind by a crash (staging files, incomplete multipart uploads);
   * null when the store cannot tell (some S3-compatible servers do not list multipart uploads).
   */
  pendingUploads(): Promise<number | null>;
  /**
   * Optional: uploads whose writer is gone (staging files of a dead process), removed when
   * `remove`; stores whose abandoned uploads expire by themselves leave it out.
   */
  abandonedUploads?(opts: { remove: boolean }): Promise<number>;
  /**
   * Optional: make bytes a resumable (tus) upload already wrote into this store's staging area a
   * staged blob, without copying them through the process: `ref` is what the store's tus adapter
   * names the upload by (a file under the local staging area; an object key on S3). `sha256` is
   * given when the bytes were hashed as they arrived (else the store hashes them now). Commit moves
   * them into place (rename after fdatasync; a server-side copy on S3); discard removes them.
   */
  adopt?(ref: string, opts: AdoptOptions): Promise<StagedBlob>;
  /** Optional: a cheap check that the store can be reached (readiness: a stat, HeadBucket). */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
