import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  HEAD_BYTES,
  inlineBlob,
  stagedBlob,
  type AdoptOptions,
  type StagedBlob,
} from '../core/blob-store.js';
import { CoreError } from '../core/errors.js';
import { reportingChunks } from '../gc/body-garbage.js';

/** What the resumable-upload adapter names its objects by: `tus/<upload id>` under the prefix. */
export const TUS_REF = /^tus\/[A-Za-z0-9_-]{1,100}$/;

/** One CopyObject copies at most 5 GiB; beyond, UploadPartCopy ranges of one multipart upload. */
export const SINGLE_COPY_MAX = 5 * 1024 ** 3;
const COPY_PART_SIZE = 512 * 1024 ** 2;
const MAX_PARTS = 10_000;

export interface AdoptContext {
  client: S3Client;
  bucket: string;
  prefix: string;
  /** Above this size the copy is multipart (tests lower it). */
  singleCopyMax?: number;
  /** Part size of a multipart copy (tests lower it; at least 5 MiB on real S3). */
  copyPartSize?: number;
}

/**
 * `S3BlobStore.adopt`: the object a tus upload completed becomes a staged blob. The size is
 * checked (HeadObject), the bytes are hashed by streaming them once when no SHA-256 came with
 * them, the head is a ranged GET otherwise. Small bodies come back inline (the object is removed);
 * the others commit by a server-side copy to a new blob location (CopyObject, or UploadPartCopy
 * beyond 5 GiB) and the upload's object is deleted after; discard deletes it.
 */
export async function adoptS3Object(
  ctx: AdoptContext,
  ref: string,
  opts: AdoptOptions,
): Promise<StagedBlob> {
  if (!TUS_REF.test(ref)) throw new CoreError('storage_failed', 'invalid upload reference');
  const source = ctx.prefix + ref;
  let size: number;
  try {
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: source }));
    size = head.ContentLength ?? 0;
  } catch (err) {
    if (isMissing(err)) throw new CoreError('storage_failed', 'The upload has no bytes');
    throw new CoreError(
      'storage_failed',
      'Something went wrong while storing the file',
      undefined,
      {
        cause: err,
      },
    );
  }
  if (size !== opts.size) {
    throw new CoreError(
      'storage_failed',
      `the upload holds ${size} bytes, ${opts.size} were declared`,
    );
  }
  const inlineMax = opts.inlineMax ?? 0;
  const removeSource = () =>
    ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: source }));
  try {
    if (inlineMax > 0 && size <= inlineMax) {
      const data = await readAll(await getBody(ctx, source));
      if (data.length !== size) throw new Error(`read ${data.length} bytes of ${size}`);
      const sha256 = createHash('sha256').update(data).digest('hex');
      await removeSource();
      return inlineBlob(sha256, data, data.subarray(0, HEAD_BYTES));
    }
    let sha256 = opts.sha256;
    let head: Buffer;
    if (sha256 === undefined) {
      const hashed = await hashObject(await getBody(ctx, source));
      if (hashed.size !== size) throw new Error(`read ${hashed.size} bytes of ${size}`);
      sha256 = hashed.sha256;
      head = hashed.head;
    } else {
      head =
        size === 0
          ? Buffer.alloc(0)
          : await readAll(await getBody(ctx, source, `bytes=0-${Math.min(size, HEAD_BYTES) - 1}`));
    }
    return adopted(ctx, source, sha256, size, head, removeSource);
  } catch (err) {
    if (err instanceof CoreError) throw err;
    throw new CoreError(
      'storage_failed',
      'Something went wrong while storing the file',
      undefined,
      {
        cause: err,
      },
    );
  }
}

function adopted(
  ctx: AdoptContext,
  source: string,
  sha256: string,
  size: number,
  head: Buffer,
  removeSource: () => Promise<unknown>,
): StagedBlob {
  return stagedBlob(
    { sha256, size, head },
    {
      commit: async () => {
        const location = `b/${randomBytes(16).toString('hex')}`;
        const target = ctx.prefix + location;
        try {
          if (size <= (ctx.singleCopyMax ?? SINGLE_COPY_MAX)) {
            await ctx.client.send(
              new CopyObjectCommand({
                Bucket: ctx.bucket,
                Key: target,
                CopySource: copySource(ctx.bucket, source),
              }),
            );
          } else {
            await multipartCopy(ctx, source, target, size);
          }
        } catch (err) {
          // A copy whose answer was lost may exist all the same.
          await ctx.client
            .send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: target }))
            .catch(() => {});
          throw new CoreError(
            'storage_failed',
            'Something went wrong while storing the file',
            undefined,
            {
              cause: err,
            },
          );
        }
        // The copy is what counts; an upload object left behind is swept with the upload.
        await removeSource().catch(() => {});
        return location;
      },
      discard: async () => {
        await removeSource().catch(() => {});
      },
    },
  );
}

async function multipartCopy(
  ctx: AdoptContext,
  source: string,
  target: string,
  size: number,
): Promise<void> {
  const partSize = Math.max(ctx.copyPartSize ?? COPY_PART_SIZE, Math.ceil(size / MAX_PARTS));
  const created = await ctx.client.send(
    new CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: target }),
  );
  const uploadId = created.UploadId!;
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let start = 0, n = 1; start < size; start += partSize, n++) {
      const end = Math.min(start + partSize, size) - 1;
      const res = await ctx.client.send(
        new UploadPartCopyCommand({
          Bucket: ctx.bucket,
          Key: target,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: copySource(ctx.bucket, source),
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts.push({ ETag: res.CopyPartResult!.ETag!, PartNumber: n });
    }
    await ctx.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.bucket,
        Key: target,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    await ctx.client
      .send(
        new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: target, UploadId: uploadId }),
      )
      .catch(() => {});
    throw err;
  }
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

async function getBody(ctx: AdoptContext, key: string, range?: string): Promise<Readable> {
  const res = await ctx.client.send(
    new GetObjectCommand({ Bucket: ctx.bucket, Key: key, ...(range ? { Range: range } : {}) }),
  );
  // Read through (hashed, or kept inline): its chunks are collected young (see reportingChunks).
  return reportingChunks(res.Body as Readable);
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** One pass over the object: its SHA-256, size and first bytes. Memory stays flat. */
async function hashObject(body: Readable): Promise<{ sha256: string; size: number; head: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    if (head.length < HEAD_BYTES)
      head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
  }
  return { sha256: hash.digest('hex'), size, head };
}

export function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
