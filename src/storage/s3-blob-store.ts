import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  HEAD_BYTES,
  inlineBlob,
  stagedBlob,
  putFailure,
  type BlobStore,
  type AdoptOptions,
  type ByteRange,
  type PutOptions,
  type StagedBlob,
} from '../core/blob-store.js';
import { CoreError } from '../core/errors.js';
import { adoptS3Object } from './s3-adopt.js';
import { S3PartWriter } from './s3-part-writer.js';
import { DeferredDeletes } from '../core/deferred-deletes.js';
import { bodyGarbage, reportingChunks } from '../gc/body-garbage.js';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  endpoint: string | null;
  forcePathStyle: boolean;
  /** Key prefix inside the bucket. */
  prefix: string;
  checksums: 'when_supported' | 'when_required';
  /** Explicit credentials (tests); otherwise the SDK's default chain (AWS_* variables, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** `adopt`'s server-side copy: multipart above `singleCopyMax` (5 GiB) in `partSize` parts (tests). */
  adoptCopy?: { singleCopyMax?: number; partSize?: number };
}

/** The SDK client settings of these options (shared with the tus adapter's client). */
export function s3ClientConfig(
  opts: Pick<
    S3BlobStoreOptions,
    'region' | 'endpoint' | 'forcePathStyle' | 'credentials' | 'checksums'
  >,
): S3ClientConfig {
  return {
    region: opts.region,
    forcePathStyle: opts.forcePathStyle,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    requestChecksumCalculation:
      opts.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    responseChecksumValidation:
      opts.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
  };
}

/** Multipart part size: memory per upload is about queueSize × this. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;
/** Incomplete multipart uploads older than this are aborted at start (a crashed node's leftovers). */
const STALE_UPLOAD_MS = 24 * 3600 * 1000;

const LOCATION = /^b\/[0-9a-f]{32}$/;

/**
 * Blobs in an S3-compatible bucket. An upload streams straight into a multipart upload at a new,
 * unique key (`<prefix>b/<random>`), hashed in the same pass; memory is bounded by the part
 * queue. The object is complete (durable) when `put` returns, so `commit` only hands out its
 * location and `discard` deletes it. Ranged reads are S3 range requests.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  /**
   * Objects that may exist without anyone knowing: a PUT whose answer was lost (S3 went away
   * mid-request), a discarded copy while S3 was down. Deleted now or retried; else `gc` finds them.
   */
  private readonly cleanup = new DeferredDeletes(this);

  constructor(private readonly opts: S3BlobStoreOptions) {
    this.client = new S3Client(s3ClientConfig(opts));
  }

  private key(location: string): string {
    if (!LOCATION.test(location)) throw new CoreError('not_found', 'invalid blob location');
    return this.opts.prefix + location;
  }

  async open({ cleanStaging }: { cleanStaging: boolean }): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket }));
    } catch (err) {
      throw new Error(`S3 bucket ${this.opts.bucket} is not reachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (cleanStaging) await this.abortStaleUploads().catch(() => {});
  }

  /** Multipart uploads of `put`s in progress (or left by a crash), and unfinished tus uploads. */
  async pendingUploads(): Promise<number | null> {
    try {
      let n = 0;
      for await (const _upload of this.multipartUploads()) n++;
      for await (const _upload of this.multipartUploads('tus/')) n++;
      return n;
    } catch (err) {
      // Some S3-compatible servers (s3rver) do not list multipart uploads.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501) {
        return null;
      }
      throw err;
    }
  }

  /** Multipart uploads a crash left behind (they cost storage until aborted). */
  async abortStaleUploads(olderThanMs = STALE_UPLOAD_MS): Promise<number> {
    let aborted = 0;
    for await (const u of this.multipartUploads()) {
      if (u.Initiated && Date.now() - u.Initiated.getTime() > olderThanMs) {
        await this.client.send(
          new AbortMultipartUploadCommand({
            Bucket: this.opts.bucket,
            Key: u.Key,
            UploadId: u.UploadId,
          }),
        );
        aborted++;
      }
    }
    return aborted;
  }

  /**
   * Every unfinished multipart upload of our blobs (or, `tus/`, of resumable uploads, which live
   * as long as their clients keep writing: never aborted here), all pages of the listing.
   */
  private async *multipartUploads(area: 'b/' | 'tus/' = 'b/') {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.opts.bucket,
          Prefix: this.opts.prefix + area,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      yield* page.Uploads ?? [];
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  async close(): Promise<void> {
    this.cleanup.close();
    this.client.destroy();
  }

  put(body: Readable, opts: PutOptions): Promise<StagedBlob> {
    return bodyGarbage.receiving(() => this.receive(body, opts));
  }

  private async receive(body: Readable, opts: PutOptions): Promise<StagedBlob> {
    const hash = createHash('sha256');
    const inlineMax = opts.inlineMax ?? 0;
    const location = `b/${randomBytes(16).toString('hex')}`;
    let head = Buffer.alloc(0);
    let size = 0;
    // Held back while the body may still turn out to be small enough to keep inline.
    let pending: Buffer[] = [];
    let writer: S3PartWriter | null = null;
    /** Bytes were sent to S3: on failure the object may exist all the same. */
    let sent = false;
    try {
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
        if (!writer && size <= inlineMax) {
          pending.push(chunk);
          continue;
        }
        if (!writer) {
          sent = true;
          writer = new S3PartWriter({
            client: this.client,
            bucket: this.opts.bucket,
            key: this.key(location),
            partSize: PART_SIZE,
            queueSize: QUEUE_SIZE,
            checksums: this.opts.checksums,
          });
          for (const c of pending) await writer.write(c);
          pending = [];
        }
        await writer.write(chunk);
      }
      if (!ended && (body as { complete?: boolean }).complete === false) {
        throw Object.assign(new Error('request aborted'), { code: 'ECONNRESET' });
      }
      const sha256 = hash.digest('hex');
      if (!writer) {
        if (inlineMax > 0 && size <= inlineMax) {
          return inlineBlob(sha256, Buffer.concat(pending), head);
        }
        // Small but not inline (inlineMax 0): one plain PUT.
        sent = true;
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.opts.bucket,
            Key: this.key(location),
            Body: Buffer.concat(pending),
          }),
        );
      } else {
        await writer.end();
      }
      return this.staged(location, sha256, size, head);
    } catch (err) {
      body.destroy();
      if (writer) await writer.abort().catch(() => {});
      if (sent) void this.cleanup.delete(location);
      throw putFailure(err, 'Something went wrong while storing the file');
    }
  }

  /**
   * A completed resumable upload (`tus/<id>`, written by the tus adapter under the same prefix)
   * becomes a staged blob: see `adoptS3Object` (a server-side copy on commit).
   */
  adopt(ref: string, opts: AdoptOptions): Promise<StagedBlob> {
    return adoptS3Object(
      {
        client: this.client,
        bucket: this.opts.bucket,
        prefix: this.opts.prefix,
        singleCopyMax: this.opts.adoptCopy?.singleCopyMax,
        copyPartSize: this.opts.adoptCopy?.partSize,
      },
      ref,
      opts,
    );
  }

  private staged(location: string, sha256: string, size: number, head: Buffer): StagedBlob {
    return stagedBlob(
      { sha256, size, head },
      {
        commit: async () => location,
        discard: () => this.cleanup.delete(location),
      },
    );
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.opts.bucket,
          Key: this.key(location),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      // Its chunks are garbage once sent on: collected young (see BodyGarbage).
      return reportingChunks(res.Body as Readable);
    } catch (err) {
      if (isMissing(err)) throw new CoreError('not_found', 'blob missing');
      throw err;
    }
  }

  async read(location: string, range?: ByteRange): Promise<Buffer> {
    const stream = await this.get(location, range);
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  }

  owns(location: string): boolean {
    return LOCATION.test(location);
  }

  async stat(location: string): Promise<{ size: number; modifiedAt?: number } | null> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.key(location) }),
      );
      return { size: res.ContentLength ?? 0, modifiedAt: res.LastModified?.getTime() };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** Readiness: the bucket answers (HeadBucket). */
  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket }));
  }

  async delete(location: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.key(location) }),
    );
  }

  /** A time-limited URL the client can download from directly (STOWAGE_S3_REDIRECT). */
  async signedUrl(
    location: string,
    opts: { contentType: string; disposition: string; expiresIn: number },
  ): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.opts.bucket,
        Key: this.key(location),
        ResponseContentType: opts.contentType,
        ResponseContentDisposition: opts.disposition,
      }),
      { expiresIn: opts.expiresIn },
    );
  }

  /** Every blob location in the bucket. */
  async *list(): AsyncGenerator<string> {
    let token: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.opts.bucket,
          Prefix: this.opts.prefix + 'b/',
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) {
        const loc = o.Key?.slice(this.opts.prefix.length);
        if (loc && LOCATION.test(loc)) yield loc;
      }
      if (!page.IsTruncated) return;
      token = page.NextContinuationToken;
    }
  }
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
