import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { RemoteFetchError, type RemoteSource } from '../remote.js';

/** Whether URL uploads are on, and the limits of one fetch (the configuration's). */
export interface UrlUploadSettings {
  enabled: boolean;
  /** The body is cut off past this many bytes (the upload size limit). */
  maxBytes: number;
  /** One fetch, DNS lookup to last byte, within this time. */
  timeoutMs: number;
}

/** What was fetched, as the dialect stores it. */
export interface FetchedFile {
  /** The body, counted; it errors if the fetch fails midway (too large, too slow, cancelled). */
  body: Readable;
  /** A name from the remote (Content-Disposition, else the URL's last segment), '' when none. */
  name: string;
  /** The Content-Type the remote sent ('' when none). */
  type: string;
  /** The size the remote declared, null when unknown. */
  size: number | null;
}

export interface UrlUploadOptions<T> {
  /** Aborting gives the fetch up at once (the client went away). */
  signal?: AbortSignal;
  /** Bytes received so far and the declared total, as they arrive (throttle it yourself). */
  onProgress?: (received: number, total: number | null) => void;
  /** Before a byte of the body is read, with the declared size: the quotas (throw to refuse). */
  admit?: (size: number | null) => Promise<void>;
  /** Undo a stored result whose caller went away meanwhile (no one would ever learn its id). */
  discard?: (stored: T) => Promise<void>;
}

/**
 * Uploads from a URL, for every dialect (pixeldrain's `url=`, Chevereto's `source=https://…`): the
 * setting, the SSRF-safe fetch (the RemoteSource port) within the size and time limits, progress,
 * cancellation, and the reason a fetch failed rather than the storage's view of a body that stopped.
 * The dialect says how the bytes are stored (`store`), and so keeps its own naming and options.
 */
export class UrlUploads {
  constructor(
    private readonly remote: RemoteSource,
    private readonly settings: UrlUploadSettings,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Refuses at once when URL uploads are off (RemoteFetchError `disabled`). */
  checkEnabled(): void {
    if (!this.settings.enabled) {
      throw new RemoteFetchError('disabled', 'URL uploads are disabled on this server');
    }
  }

  async upload<T>(
    url: string,
    store: (file: FetchedFile) => Promise<T>,
    opts: UrlUploadOptions<T> = {},
  ): Promise<T> {
    this.checkEnabled();
    const { signal } = opts;
    if (signal?.aborted) throw cancelled(signal);
    const remote = await this.remote.open(
      url,
      { maxBytes: this.settings.maxBytes, timeoutMs: this.settings.timeoutMs },
      signal ? { signal } : {},
    );
    // The reason the body stopped (the storage only sees that it did).
    let failure: unknown = null;
    remote.body.on('error', (err) => (failure ??= err));
    const counted = counter(remote.size, opts.onProgress);
    pipeline(remote.body, counted, (err) => {
      if (err) failure ??= err;
    });
    try {
      await opts.admit?.(remote.size);
      const result = await store({
        body: counted,
        name: remote.name,
        type: remote.type,
        size: remote.size,
      });
      if (signal?.aborted) {
        await opts.discard?.(result).catch(() => {});
        throw cancelled(signal);
      }
      return result;
    } catch (err) {
      if (failure instanceof RemoteFetchError) throw failure;
      if (signal?.aborted) throw cancelled(signal);
      throw err;
    } finally {
      remote.body.destroy();
      counted.destroy();
    }
  }
}

function cancelled(signal: AbortSignal): RemoteFetchError {
  return signal.reason instanceof RemoteFetchError
    ? signal.reason
    : new RemoteFetchError('cancelled', 'The URL fetch was cancelled');
}

/** Passes the bytes through, reporting the running count. */
function counter(
  total: number | null,
  onProgress?: (received: number, total: number | null) => void,
): Transform {
  let received = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      received += chunk.length;
      try {
        onProgress?.(received, total);
      } catch {
        // A listener's failure is its own: the upload goes on.
      }
      cb(null, chunk);
    },
  });
}
