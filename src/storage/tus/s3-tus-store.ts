import type { MetadataValue } from '@tus/s3-store';
import { S3Store } from '@tus/s3-store';
import { ERRORS, type KvStore } from '@tus/utils';
import type { Redis } from 'ioredis';
import { createHash, type Hash } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import type { ResumableBytes } from '../../core/resumable/records.js';
import { isMissing } from '../s3-adopt.js';
import { isUploadId, TUS_EXTENSIONS } from './file-store.js';
import { s3ClientConfig, type S3BlobStoreOptions } from '../s3-blob-store.js';
import { bodyGarbage } from '../../gc/body-garbage.js';

/** Where the tus objects live, under the store's prefix: never in `b/`, where blobs are listed. */
export const TUS_AREA = 'tus/';
/** Hash states kept for uploads in progress on this node (the oldest are forgotten beyond). */
const MAX_HASHES = 10_000;

export type S3TusStoreOptions = Pick<
  S3BlobStoreOptions,
  'bucket' | 'region' | 'endpoint' | 'forcePathStyle' | 'prefix' | 'checksums' | 'credentials'
> & {
  /** Upload metadata cache shared by the nodes (Redis); default: none shared (one node). */
  cache?: KvStore<MetadataValue>;
  /** Part size of the multipart upload (S3: at least 5 MiB; the last part may be smaller). */
  partSize?: number;
  /** Parts uploaded at once per upload (each spooled to a temp file of `partSize`). */
  maxConcurrentPartUploads?: number;
  /** tus expiration period passed to the S3Store (0: the server announces no expiry itself). */
  expirationPeriodInMilliseconds?: number;
};

/**
 * `@tus/s3-store` for the scale-out stack: the parts of a resumable upload go to a multipart
 * upload in the blob store's bucket, under `<prefix>tus/<upload id>` (with `.info` and `.part`
 * objects beside it), so the blob store's listing (`<prefix>b/`), gc and migrate-storage never
 * see them. The S3Store names objects by upload id; a client middleware puts them in the tus area.
 *
 * The SHA-256 is computed as the bytes pass through this node, valid only while the upload's
 * writes arrive here in order and are stored whole; `sha256Of` then hands it to adopt, which
 * otherwise reads the object once to hash it.
 */
export class S3TusStore extends S3Store implements ResumableBytes {
  private readonly hashes = new Map<string, { offset: number; hash: Hash }>();
  private readonly keyPrefix: string;

  constructor(opts: S3TusStoreOptions) {
    super({
      s3ClientConfig: { ...s3ClientConfig(opts), bucket: opts.bucket },
      partSize: opts.partSize ?? 8 * 1024 * 1024,
      useTags: false,
      // Parts are spooled to temp files and sent this many at a time; the body waits for a slot
      // (the default, 60, let a fast client park 480 MiB of parts on disk).
      maxConcurrentPartUploads: opts.maxConcurrentPartUploads ?? 4,
      expirationPeriodInMilliseconds: opts.expirationPeriodInMilliseconds ?? 0,
      ...(opts.cache ? { cache: opts.cache } : {}),
    });
    this.extensions = [...TUS_EXTENSIONS];
    this.keyPrefix = opts.prefix + TUS_AREA;
    const keyPrefix = this.keyPrefix;
    this.client.middlewareStack.add(
      (next) => (args) => {
        const input = args.input as Record<string, unknown>;
        const moved: Record<string, unknown> = { ...input };
        if (typeof input.Key === 'string') moved.Key = keyPrefix + input.Key;
        const del = input.Delete as { Objects?: { Key?: string }[] } | undefined;
        if (del?.Objects) {
          moved.Delete = {
            ...del,
            Objects: del.Objects.map((o) => ({ ...o, Key: keyPrefix + (o.Key ?? '') })),
          };
        }
        if ('KeyMarker' in input || 'UploadIdMarker' in input) moved.Prefix = keyPrefix;
        return next({ ...args, input: moved });
      },
      { step: 'initialize', name: 'stowageTusArea', priority: 'high' },
    );
  }

  /** What `BlobStore.adopt` takes for a completed upload. */
  refOf(id: string): string {
    return TUS_AREA + id;
  }

  /** The S3 client (tests look at the bucket through it; shutdown destroys it). */
  get s3() {
    return this.client;
  }

  /** The SHA-256 of a completed upload if all of it was hashed here, in order; else undefined. */
  sha256Of(id: string, size: number): string | undefined {
    const state = this.hashes.get(id);
    this.hashes.delete(id);
    return state && state.offset === size ? state.hash.digest('hex') : undefined;
  }

  override async create(upload: Parameters<S3Store['create']>[0]) {
    if (!isUploadId(upload.id)) throw ERRORS.FILE_NOT_FOUND;
    const created = await super.create(upload);
    // An empty upload is complete at once: its (empty) object is made now, as a write would.
    if (upload.size === 0) await this.write(Readable.from([]), upload.id, 0);
    return created;
  }

  override async write(src: Readable, id: string, offset: number): Promise<number> {
    let state = this.hashes.get(id);
    this.hashes.delete(id);
    if (state && state.offset !== offset) state = undefined;
    if (!state && offset === 0) state = { offset: 0, hash: createHash('sha256') };
    if (!state) return super.write(src, id, offset);
    const { hash } = state;
    let seen = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        seen += chunk.length;
        bodyGarbage.note(chunk.length);
        cb(null, chunk);
      },
    });
    // Errors travel both ways (a cut request fails the write; a failed write stops the body).
    pipeline(src, tap, () => {});
    const newOffset = await bodyGarbage.receiving(() => super.write(tap, id, offset));
    // Valid only if everything that went through the hash is what the upload now holds.
    if (newOffset === offset + seen) {
      if (this.hashes.size >= MAX_HASHES) this.hashes.delete(this.hashes.keys().next().value!);
      this.hashes.set(id, { offset: newOffset, hash });
    }
    return newOffset;
  }

  override async getUpload(id: string) {
    if (!isUploadId(id)) throw ERRORS.FILE_NOT_FOUND;
    return super.getUpload(id);
  }

  /** Termination, expiry, after adoption: everything of the upload goes; nothing there is fine. */
  override async remove(id: string): Promise<void> {
    await this.purge(id);
  }

  /**
   * Remove everything an upload left in the bucket, whatever state it is in (unfinished,
   * finished and adopted, half created): abort its multipart upload, delete its object, `.info`
   * and `.part`. Idempotent; fails only when S3 does (the sweeper tries again).
   */
  async purge(id: string): Promise<void> {
    if (!isUploadId(id)) return;
    let uploadId: string | undefined;
    try {
      uploadId = (await this.getMetadata(id))['upload-id'];
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    if (uploadId) {
      try {
        await this.client.abortMultipartUpload({
          Bucket: this.bucket,
          Key: id,
          UploadId: uploadId,
        });
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name !== 'NoSuchUpload' && !isMissing(err)) throw err;
      }
    }
    await this.client.deleteObjects({
      Bucket: this.bucket,
      Delete: {
        Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }],
      },
    });
    await this.clearCache(id);
    this.hashes.delete(id);
  }

  /**
   * Uploads in the bucket (their `.info` objects) last changed before `before`: what a sweep
   * checks against the pending-uploads table (an upload whose row is gone, a crash between
   * creating it and recording it).
   */
  async *uploadsBefore(before: number): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await this.client.listObjectsV2({
        Bucket: this.bucket,
        Prefix: this.keyPrefix,
        ContinuationToken: token,
      });
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(this.keyPrefix.length) ?? '';
        const m = /^(.+)\.info$/.exec(name);
        if (m && isUploadId(m[1]!) && (o.LastModified?.getTime() ?? 0) < before) yield m[1]!;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * The upload metadata cache in Redis, shared by the nodes so that one node's termination or
 * completion is seen by the others (a per-process cache would still answer for an upload another
 * node removed); entries expire after `ttlMs`, the bucket's `.info` staying the truth.
 */
export class RedisMetadataCache implements KvStore<MetadataValue> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 3_600_000,
  ) {}

  async get(key: string): Promise<MetadataValue | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    return raw ? (JSON.parse(raw) as MetadataValue) : undefined;
  }

  async set(key: string, value: MetadataValue): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', this.ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
