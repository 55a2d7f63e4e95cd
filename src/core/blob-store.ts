import type { Readable } from 'node:stream';

/** Inclusive byte range, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Bytes that have been received, hashed and made durable in a staging area, but are not yet
 * visible under their content key. `commit` publishes them (a no-op copy-wise when identical
 * content is already stored); `discard` throws them away.
 */
export interface StagedBlob {
  /** Content address: the SHA-256 in hex. */
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** The first bytes (up to 4 KiB), for type detection. */
  readonly head: Buffer;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export const HEAD_BYTES = 4096;

export interface PutOptions {
  /** The body is cut off (and the staging data removed) as soon as it exceeds this many bytes. */
  maxBytes: number;
}

/**
 * The one port for file bytes. Implementations: local disk (default), in-memory (tests),
 * S3-compatible (scale-out). Content-addressed: the key is the SHA-256 of the bytes.
 */
export interface BlobStore {
  /** Prepare the store; `cleanStaging` removes partial uploads left by a crash (server start only). */
  open(opts: { cleanStaging: boolean }): Promise<void>;
  /** Stream `body` into staging, hashing in the same pass. Rejects with CoreError file_too_large / upload_aborted / storage_failed. */
  put(body: Readable, opts: PutOptions): Promise<StagedBlob>;
  /** A stream of the blob's bytes, or of one inclusive range of them. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Small blobs in one call (used for the small-file fast path). */
  read(key: string, range?: ByteRange): Promise<Buffer>;
  stat(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
