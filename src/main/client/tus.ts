import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Tus from 'tus-js-client';
import type { Api } from './http.js';
import { configDir } from './config.js';
import { ClientError, EXIT, Interrupted } from './errors.js';

/** tus-js-client 4 exports a file-based fingerprint store for Node that its types leave out. */
interface UrlStorageLike {
  findAllUploads(): Promise<unknown[]>;
}
type FileUrlStorage = new (
  file: string,
) => UrlStorageLike & NonNullable<Tus.UploadOptions['urlStorage']>;

/**
 * tus-js-client, loaded on first use (synchronously: the package is CommonJS): the CLI is also the
 * server, which never uploads through it and would carry ~10 MiB for it.
 */
function tusClient(): typeof Tus & { FileUrlStorage: FileUrlStorage } {
  return createRequire(import.meta.url)('tus-js-client') as typeof Tus & {
    FileUrlStorage: FileUrlStorage;
  };
}

/** The fingerprint store (upload URLs by file path, size, mtime and endpoint), mode 600. */
export function fingerprintStore(env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'tus-uploads.json');
  try {
    fs.writeFileSync(file, '{}', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
  }
  return file;
}

/** A tus failure as a ClientError: the server's pixeldrain error when it sent one. */
function tusError(err: unknown): ClientError {
  const d = err as Tus.DetailedError;
  const res = d?.originalResponse;
  if (res) {
    const status = res.getStatus();
    let value = `http_${status}`;
    let message = d.message.split('\n')[0] ?? '';
    try {
      const body = JSON.parse(res.getBody()) as { value?: unknown; message?: unknown };
      if (typeof body.value === 'string') value = body.value;
      if (typeof body.message === 'string') message = body.message;
    } catch {
      const text = res.getBody()?.trim();
      if (text && text.length < 300) message = text;
    }
    return new ClientError(value, message, status < 500 ? EXIT.refused : EXIT.network, status);
  }
  const cause = d?.causingError as { code?: string; message?: string } | null | undefined;
  return new ClientError(
    'network_error',
    cause?.message ?? d?.message ?? String(err),
    EXIT.network,
  );
}

export interface TusResult {
  id: string;
  /** An earlier run's upload was continued. */
  resumed: boolean;
}

/**
 * Upload one file through tus (resumable): an earlier run's upload of the same file (same path,
 * size and mtime, same server) continues from the server's offset, so at most the chunk that was
 * in flight is sent again. The file id comes from the final PATCH's `Stowage-File-Id`, or from
 * `GET /api/tus/{upload}` when that answer was lost.
 */
export function tusUpload(
  api: Api,
  file: { path: string; name: string; size: number },
  opts: {
    chunkSize: number;
    signal: AbortSignal;
    onProgress: (sent: number) => void;
    onResume?: (offset: number) => void;
  },
): Promise<TusResult> {
  return new Promise<TusResult>((resolve, reject) => {
    if (opts.signal.aborted) return reject(new Interrupted());
    let fileId: string | null = null;
    let resumed = false;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const tus = tusClient();
    const storage = new tus.FileUrlStorage(fingerprintStore());
    /** Drop this upload's entries from the fingerprint store (it is done). */
    const forget = async (url: string | null) => {
      const prev = await upload.findPreviousUploads().catch(() => []);
      for (const p of prev)
        if (p.uploadUrl === url) await storage.removeUpload(p.urlStorageKey).catch(() => {});
    };
    const input = fs.createReadStream(file.path);
    input.on('error', (err) => finish(() => reject(err)));
    const upload = new tus.Upload(input, {
      endpoint: api.url('/api/tus'),
      uploadSize: file.size,
      chunkSize: opts.chunkSize,
      metadata: { filename: file.name },
      headers: api.authHeaders(),
      urlStorage: storage,
      storeFingerprintForResuming: true,
      // Removed by onSuccess itself, awaited: tus-js-client does it without waiting, and the
      // process may exit before the store's lock is released.
      removeFingerprintOnSuccess: false,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      onProgress: (sent) => opts.onProgress(sent),
      onAfterResponse: (req, res) => {
        const id = res.getHeader('Stowage-File-Id');
        if (id) fileId = id;
        if (resumed && req.getMethod() === 'HEAD') {
          const offset = Number(res.getHeader('Upload-Offset'));
          if (Number.isFinite(offset)) opts.onResume?.(offset);
        }
      },
      onSuccess: () => {
        void (async () => {
          if (!fileId && upload.url) {
            // The final answer was lost (or this run found the upload complete): ask where it went.
            const res = await fetch(upload.url, { headers: api.authHeaders() });
            if (res.ok) {
              const body = (await res.json()) as { file_id?: string | null };
              fileId = body.file_id ?? null;
            } else await res.body?.cancel();
          }
          await forget(upload.url);
          if (!fileId)
            throw new ClientError(
              'no_file_id',
              'the upload finished but the server named no file',
              EXIT.network,
            );
          return fileId;
        })().then(
          (id) => finish(() => resolve({ id, resumed })),
          (err: unknown) => finish(() => reject(err)),
        );
      },
      onError: (err) =>
        finish(() => reject(opts.signal.aborted ? new Interrupted() : tusError(err))),
    });
    const onAbort = () => {
      upload.abort(false).then(
        () => finish(() => reject(new Interrupted())),
        () => finish(() => reject(new Interrupted())),
      );
    };
    opts.signal.addEventListener('abort', onAbort);
    upload.findPreviousUploads().then(
      (prev) => {
        if (settled) return;
        const last = prev.sort((a, b) => (a.creationTime < b.creationTime ? 1 : -1))[0];
        if (last) {
          resumed = true;
          upload.resumeFromPreviousUpload(last);
        }
        upload.start();
      },
      (err: unknown) => finish(() => reject(err)),
    );
  });
}
