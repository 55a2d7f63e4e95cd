/**
 * A BlobStore that reports to Telemetry: `blob_store_error` (label op) for every failed operation
 * that is the store's fault (not a client going away or a body too large). Everything else passes
 * through untouched; optional methods exist only when the wrapped store has them.
 */
import type { Readable } from 'node:stream';
import type {
  BlobReader,
  BlobStore,
  ByteRange,
  PutOptions,
  StagedBlob,
} from '../core/blob-store.js';
import { CoreError } from '../core/errors.js';
import type { Telemetry } from '../core/telemetry.js';

/** Whether an error is the store's (I/O, network, bucket), not the client's or the size limit's. */
export function isStoreFailure(err: unknown): boolean {
  return !(err instanceof CoreError) || err.code === 'storage_failed';
}

export class ReportingBlobStore implements BlobStore {
  openReader?: (location: string) => Promise<BlobReader>;
  localPath?: (location: string) => string | null;
  signedUrl?: BlobStore['signedUrl'];
  abandonedUploads?: (opts: { remove: boolean }) => Promise<number>;
  ping?: () => Promise<void>;
  adopt?: BlobStore['adopt'];

  constructor(
    readonly inner: BlobStore,
    private readonly telemetry: Telemetry,
  ) {
    const s = inner;
    if (s.openReader) {
      this.openReader = async (location) => {
        const r = await this.watch('open_reader', s.openReader!(location));
        return { read: (into, at) => this.watch('read', r.read(into, at)), close: () => r.close() };
      };
    }
    if (s.localPath) this.localPath = (location) => s.localPath!(location);
    if (s.signedUrl) {
      this.signedUrl = (location, opts) => this.watch('signed_url', s.signedUrl!(location, opts));
    }
    if (s.abandonedUploads) {
      this.abandonedUploads = (opts) => this.watch('abandoned_uploads', s.abandonedUploads!(opts));
    }
    if (s.adopt) this.adopt = (ref, opts) => this.watch('adopt', s.adopt!(ref, opts));
    // Readiness probes report their own failures (/api/health); not counted here.
    if (s.ping) this.ping = () => s.ping!();
  }

  private fail(op: string, err: unknown): void {
    if (isStoreFailure(err)) this.telemetry.event('blob_store_error', { op });
  }

  private watch<T>(op: string, p: Promise<T>): Promise<T> {
    return p.catch((err: unknown) => {
      this.fail(op, err);
      throw err;
    });
  }

  open(opts: { cleanStaging: boolean }): Promise<void> {
    return this.watch('open', this.inner.open(opts));
  }

  async put(body: Readable, opts: PutOptions): Promise<StagedBlob> {
    let staged: StagedBlob;
    try {
      staged = await this.inner.put(body, opts);
    } catch (err) {
      this.fail('put', err);
      throw err;
    }
    if (staged.inline) return staged;
    const watch = <T>(op: string, p: Promise<T>) => this.watch(op, p);
    return {
      key: staged.key,
      size: staged.size,
      sha256: staged.sha256,
      head: staged.head,
      commit: () => watch('commit', staged.commit()),
      discard: () => watch('discard', staged.discard()),
    };
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    const stream = await this.watch('get', this.inner.get(location, range));
    // A read failing midway (a disk error, S3 resetting the stream); the consumer's own listener
    // still handles it. A premature close is its reader going away (the client left a download:
    // its pipeline destroys the stream with that error), not the store failing.
    stream.once('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
        this.fail('get', err);
    });
    return stream;
  }

  read(location: string, range?: ByteRange): Promise<Buffer> {
    return this.watch('read', this.inner.read(location, range));
  }

  stat(location: string): Promise<{ size: number; modifiedAt?: number } | null> {
    return this.watch('stat', this.inner.stat(location));
  }

  owns(location: string): boolean {
    return this.inner.owns(location);
  }

  delete(location: string): Promise<void> {
    return this.watch('delete', this.inner.delete(location));
  }

  list(): AsyncIterable<string> {
    return this.inner.list();
  }

  pendingUploads(): Promise<number | null> {
    return this.watch('pending_uploads', this.inner.pendingUploads());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
