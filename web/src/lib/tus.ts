// Resumable uploads of big files through tus (/api/tus): tus-js-client, loaded on first use so
// that pages uploading small files never download it. Chunked PATCHes (a proxy that cuts long
// requests costs one chunk), automatic retries after a dropped connection, and the upload URLs
// kept in localStorage (tus-js-client's fingerprint store: name, type, size, mtime, endpoint), so
// after a reload the same file picked again continues where it stopped.
import type { DetailedError, PreviousUpload, Upload } from 'tus-js-client';
import {
  UploadError,
  uploadFile,
  type UploadedFile,
  type UploadEvents,
  type UploadHandle,
} from './upload';

export const TUS_PATH = '/api/tus';

/** Waits before the automatic retries (ms); the count restarts after every chunk that gets through. */
export const RETRY_DELAYS = [
  0, 1000, 2000, 3000, 5000, 10_000, 15_000, 30_000, 30_000, 60_000, 60_000, 60_000, 60_000, 60_000,
];

export interface ResumableSettings {
  /** Files larger than this (bytes) go through tus; smaller ones in one PUT. */
  threshold: number;
  /** PATCH size, bytes. */
  chunkSize: number;
}

type Progress = (sent: number, total: number) => void;

/** The queue's upload function: tus above the threshold, one PUT /api/file below. */
export function uploadAny(settings: ResumableSettings) {
  return (blob: Blob, name: string, onProgress: Progress, events?: UploadEvents) =>
    blob.size > settings.threshold
      ? uploadResumable(blob, name, settings.chunkSize, onProgress, events)
      : uploadFile(blob, name, onProgress);
}

function endpoint(): string {
  return new URL(TUS_PATH, location.href).href;
}

const loadTus = () => import('./tus-client');

/** The server's offset of an upload, null when it is gone (finished and expired, or deleted). */
export async function uploadOffset(url: string): Promise<number | null> {
  const r = await fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
  if (r.status === 404 || r.status === 410 || r.status === 403) return null;
  const offset = Number(r.headers.get('Upload-Offset'));
  if (!r.ok || !Number.isSafeInteger(offset)) throw new Error(`The server answered ${r.status}`);
  return offset;
}

/** One file through tus; resolves with the stored file, like PUT /api/file answers. */
export function uploadResumable(
  file: Blob,
  name: string,
  chunkSize: number,
  onProgress: Progress,
  events: UploadEvents = {},
): UploadHandle<UploadedFile> {
  let upload: Upload | null = null;
  let cancelled = false;
  let paused = false;
  let fileId = '';
  let deleteKey = '';
  let settle!: { resolve: (f: UploadedFile) => void; reject: (e: unknown) => void };
  const promise = new Promise<UploadedFile>((resolve, reject) => (settle = { resolve, reject }));

  const finish = async (): Promise<void> => {
    if (!fileId && upload?.url) {
      // The final PATCH's answer was lost (or the upload was complete already): ask the server.
      const r = await fetch(upload.url, { headers: { 'Tus-Resumable': '1.0.0' } });
      const body = (await r.json().catch(() => null)) as { file_id?: string | null } | null;
      if (body?.file_id) fileId = body.file_id;
    }
    if (!fileId) throw new UploadError('The server did not say where the file went', 'error', 0);
    const r = await fetch(`/api/file/${encodeURIComponent(fileId)}/info`);
    const info = r.ok ? ((await r.json()) as Partial<UploadedFile>) : {};
    settle.resolve({
      name,
      size: file.size,
      mime_type: file.type || 'application/octet-stream',
      ...info,
      id: fileId,
      ...(deleteKey ? { deleteKey } : {}),
    });
  };

  const begin = async (): Promise<void> => {
    const tus = await loadTus();
    if (cancelled) return;
    const up = new tus.Upload(file, {
      endpoint: endpoint(),
      metadata: { filename: name, filetype: file.type || 'application/octet-stream' },
      chunkSize,
      retryDelays: RETRY_DELAYS,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => {
        events.onReconnecting?.(false);
        onProgress(sent, total);
      },
      onShouldRetry: (err, attempt, options) => {
        const retry = tus.defaultOptions.onShouldRetry?.(err, attempt, options) ?? false;
        if (retry) events.onReconnecting?.(true);
        return retry;
      },
      onAfterResponse: (_req, res) => {
        fileId = res.getHeader('Stowage-File-Id') || fileId;
        deleteKey = res.getHeader('Stowage-Delete-Key') || deleteKey;
      },
      onSuccess: () => finish().catch(settle.reject),
      onError: (err) => settle.reject(uploadError(err)),
    });
    upload = up;
    const previous = await resumable(await up.findPreviousUploads());
    if (previous) {
      events.onResumeFrom?.(previous.offset);
      up.resumeFromPreviousUpload(previous.upload);
    }
    if (!cancelled && !paused) up.start();
  };
  begin().catch((err: unknown) => settle.reject(uploadError(err)));

  return {
    promise,
    abort() {
      cancelled = true;
      // Cancelling drops the server's copy too (termination) and the remembered URL.
      upload?.abort(true).catch(() => undefined);
      settle.reject(new UploadError('Cancelled', 'aborted', 0));
    },
    pause() {
      paused = true;
      void upload?.abort(false);
    },
    resume() {
      paused = false;
      upload?.start();
    },
  };
}

/** The newest remembered upload of this file that the server still has, with its offset. */
async function resumable(
  previous: PreviousUpload[],
): Promise<{ upload: PreviousUpload; offset: number } | null> {
  const tus = await loadTus();
  const newest = [...previous].sort((a, b) => b.creationTime.localeCompare(a.creationTime));
  for (const p of newest) {
    if (!p.uploadUrl) continue;
    try {
      const offset = await uploadOffset(p.uploadUrl);
      if (offset !== null) return { upload: p, offset };
      await tus.defaultOptions.urlStorage.removeUpload(p.urlStorageKey);
    } catch {
      // Unreachable now: tus-js-client tries it again (and retries) when it starts.
      return { upload: p, offset: 0 };
    }
  }
  return null;
}

/** The pixeldrain-style JSON error of the server's answer when there is one. */
function uploadError(err: unknown): UploadError {
  if (err instanceof UploadError) return err;
  const detailed = err as Partial<DetailedError>;
  const res = detailed.originalResponse;
  if (res) {
    const status = res.getStatus();
    const body = parseJson(res.getBody());
    return new UploadError(
      String(body?.message ?? `The server answered ${status}`),
      String(body?.value ?? 'error'),
      status,
    );
  }
  if (detailed.originalRequest) return new UploadError('The connection failed', 'network_error', 0);
  return new UploadError(err instanceof Error ? err.message : String(err), 'error', 0);
}

function parseJson(text: string): { message?: unknown; value?: unknown } | null {
  try {
    return JSON.parse(text) as { message?: unknown; value?: unknown } | null;
  } catch {
    return null;
  }
}

/** An unfinished upload of an earlier visit, remembered in this browser. */
export interface RememberedUpload {
  key: string;
  url: string;
  name: string;
  size: number;
  created: string;
  /** Bytes the server has. */
  offset: number;
}

/** This browser's unfinished uploads to this server (forgetting those the server no longer has). */
export async function rememberedUploads(): Promise<RememberedUpload[]> {
  // Nothing remembered: no need to load tus-js-client at all.
  if (!Object.keys(localStorage).some((k) => k.startsWith('tus::'))) return [];
  const tus = await loadTus();
  const storage = tus.defaultOptions.urlStorage;
  const prefix = `${endpoint()}/`;
  const found: RememberedUpload[] = [];
  for (const p of await storage.findAllUploads()) {
    if (!p.uploadUrl?.startsWith(prefix)) continue;
    let offset: number | null;
    try {
      offset = await uploadOffset(p.uploadUrl);
    } catch {
      continue; // unreachable now: not forgotten, not listed either
    }
    if (offset === null) {
      await storage.removeUpload(p.urlStorageKey);
      continue;
    }
    found.push({
      key: p.urlStorageKey,
      url: p.uploadUrl,
      name: p.metadata.filename ?? 'file',
      size: p.size ?? 0,
      created: p.creationTime,
      offset,
    });
  }
  return found.sort((a, b) => b.created.localeCompare(a.created));
}

/** Drop a remembered upload: on the server (termination) and in this browser. */
export async function forgetUpload(u: RememberedUpload): Promise<void> {
  const tus = await loadTus();
  await tus.Upload.terminate(u.url).catch(() => undefined);
  await tus.defaultOptions.urlStorage.removeUpload(u.key);
}
