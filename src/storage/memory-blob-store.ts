import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  inlineBlob,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StagedBlob,
} from '../core/blob-store.js';
import { CoreError } from '../core/errors.js';

/** In-memory BlobStore: the test double for the core (same contract as the disk store). */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  staged = 0;
  private seq = 0;

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async put(body: Readable, opts: PutOptions): Promise<StagedBlob> {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > opts.maxBytes) {
          body.destroy();
          throw new CoreError('file_too_large', 'The file you tried to upload is too large');
        }
        hash.update(chunk);
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof CoreError) throw err;
      throw new CoreError(
        'upload_aborted',
        'The client went away before the upload finished',
        undefined,
        { cause: err },
      );
    }
    const key = hash.digest('hex');
    const data = Buffer.concat(chunks);
    if (opts.inlineMax !== undefined && opts.inlineMax > 0 && size <= opts.inlineMax)
      return inlineBlob(key, data, data.subarray(0, 4096));
    this.staged++;
    let settled = false;
    return {
      key,
      sha256: key,
      size,
      head: data.subarray(0, 4096),
      commit: async () => {
        if (settled) throw new Error('staged blob already settled');
        settled = true;
        this.staged--;
        const location = `${key}.${(++this.seq).toString(16).padStart(16, '0')}`;
        this.blobs.set(location, data);
        return location;
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        this.staged--;
      },
    };
  }

  private bytes(key: string, range?: ByteRange): Buffer {
    const b = this.blobs.get(key);
    if (!b) throw new CoreError('not_found', 'blob missing');
    return range ? b.subarray(range.start, range.end + 1) : b;
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    return Readable.from([this.bytes(key, range)]);
  }

  async read(key: string, range?: ByteRange): Promise<Buffer> {
    return this.bytes(key, range);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const b = this.blobs.get(key);
    return b ? { size: b.length } : null;
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  owns(location: string): boolean {
    return /^[0-9a-f]{64}\.[0-9a-f]{16}$/.test(location);
  }

  async pendingUploads(): Promise<number> {
    return this.staged;
  }

  async *list(): AsyncGenerator<string> {
    yield* [...this.blobs.keys()];
  }
}
