import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000;

export interface S3PartWriterOptions {
  client: Pick<S3Client, 'send'>;
  bucket: string;
  key: string;
  /** Bytes per part (every part but the last): S3 wants at least 5 MiB. */
  partSize: number;
  /** Parts uploading at once. */
  queueSize: number;
  /** `when_supported`: the upload is created with CRC32 part checksums, as the SDK sends them. */
  checksums: 'when_supported' | 'when_required';
}

/**
 * An object written chunk by chunk to S3: one PutObject when it ends within the first part, else
 * a multipart upload of `partSize` parts, `queueSize` of them uploading while the next one fills.
 *
 * Each chunk is copied into a part buffer as it comes, and the buffers (`queueSize` + 1 at most)
 * are reused from part to part. lib-storage's Upload, which this replaces, gathers every part into
 * a new buffer: on a 1 GiB upload that was 128 buffers of 8 MiB, each living long enough to reach
 * V8's old generation, so the external memory they carried forced a full garbage collection every
 * ~110 ms (79 in a 13 s upload), and the chunks it held while a part filled went the same way.
 * Here a chunk dies young (copied at once) and the parts allocate nothing.
 *
 * `write` waits (backpressure) while a full part waits for one of the `queueSize` in flight. A
 * failed part fails the writer: the next `write` or `end` throws, and `abort` removes the multipart
 * upload. A buffer is reused only once its part is stored (the SDK's retries included).
 */
export class S3PartWriter {
  /** Chunks of the first part, kept as they are until they make a part (small objects never do). */
  private first: Buffer[] = [];
  private firstBytes = 0;
  private current: Buffer | null = null;
  private filled = 0;
  private readonly spare: Buffer[] = [];
  private buffers = 0;
  private partNumber = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly parts: CompletedPart[] = [];
  private uploadId: Promise<string> | null = null;
  private failure: { error: unknown } | null = null;

  constructor(private readonly opts: S3PartWriterOptions) {}

  async write(chunk: Buffer): Promise<void> {
    this.throwIfFailed();
    if (this.partNumber === 0) {
      if (this.firstBytes + chunk.length < this.opts.partSize) {
        this.first.push(chunk);
        this.firstBytes += chunk.length;
        return;
      }
      // The first part is complete: from here on, chunks are copied into part buffers.
      const first = this.first;
      this.first = [];
      this.firstBytes = 0;
      for (const c of first) await this.copy(c);
    }
    await this.copy(chunk);
  }

  /** Finish the object: one PutObject if it never filled a part, else the last part and the completion. */
  async end(): Promise<void> {
    this.throwIfFailed();
    const { client, bucket, key } = this.opts;
    if (this.partNumber === 0) {
      const body = Buffer.concat(this.first, this.firstBytes);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return;
    }
    if (this.filled > 0) await this.dispatchWhenRoom();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.throwIfFailed();
    this.parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: await this.uploadId!,
        MultipartUpload: { Parts: this.parts },
      }),
    );
  }

  /**
   * Give up: no more parts are sent; once those in flight have settled, the multipart upload (if
   * one was created) is aborted, which deletes its parts.
   */
  async abort(): Promise<void> {
    this.failure ??= { error: new Error('upload aborted') };
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    const uploadId = await this.uploadId?.catch(() => null);
    if (!uploadId) return;
    await this.opts.client.send(
      new AbortMultipartUploadCommand({
        Bucket: this.opts.bucket,
        Key: this.opts.key,
        UploadId: uploadId,
      }),
    );
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private async copy(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length;) {
      // A buffer whose part is stored, or a new one: never more than queueSize + 1 (the parts in
      // flight and this one).
      this.current ??= this.spare.pop() ?? this.allocate();
      const n = chunk.copy(this.current, this.filled, offset);
      this.filled += n;
      offset += n;
      if (this.filled === this.opts.partSize) await this.dispatchWhenRoom();
    }
  }

  private allocate(): Buffer {
    this.buffers++;
    return Buffer.allocUnsafeSlow(this.opts.partSize);
  }

  /** Buffers allocated so far (tests). */
  get allocatedBuffers(): number {
    return this.buffers;
  }

  /** Send the current part once fewer than queueSize are in flight (backpressure). */
  private async dispatchWhenRoom(): Promise<void> {
    while (this.inFlight.size >= this.opts.queueSize) await Promise.race(this.inFlight);
    this.throwIfFailed();
    this.dispatch();
    this.throwIfFailed();
  }

  /** Send the current buffer as the next part; the buffer is spare again once the part is stored. */
  private dispatch(): void {
    const buffer = this.current!;
    const length = this.filled;
    this.current = null;
    this.filled = 0;
    const partNumber = ++this.partNumber;
    if (partNumber > MAX_PARTS) {
      this.failure ??= {
        error: new Error(`more than ${MAX_PARTS} parts of ${this.opts.partSize} bytes`),
      };
      return;
    }
    const sent: Promise<void> = this.uploadPart(buffer.subarray(0, length), partNumber).then(
      (part) => {
        this.parts.push(part);
        this.spare.push(buffer);
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const settled: Promise<void> = sent.finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
  }

  private async uploadPart(body: Buffer, partNumber: number): Promise<CompletedPart> {
    const { client, bucket, key } = this.opts;
    this.uploadId ??= client
      .send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ...(this.opts.checksums === 'when_supported' ? { ChecksumAlgorithm: 'CRC32' } : {}),
        }),
      )
      .then((created) => {
        if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        return created.UploadId;
      });
    const uploadId = await this.uploadId;
    const r = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    if (!r.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag`);
    return {
      PartNumber: partNumber,
      ETag: r.ETag,
      ...(r.ChecksumCRC32 ? { ChecksumCRC32: r.ChecksumCRC32 } : {}),
      ...(r.ChecksumCRC32C ? { ChecksumCRC32C: r.ChecksumCRC32C } : {}),
      ...(r.ChecksumCRC64NVME ? { ChecksumCRC64NVME: r.ChecksumCRC64NVME } : {}),
      ...(r.ChecksumSHA1 ? { ChecksumSHA1: r.ChecksumSHA1 } : {}),
      ...(r.ChecksumSHA256 ? { ChecksumSHA256: r.ChecksumSHA256 } : {}),
    };
  }
}
