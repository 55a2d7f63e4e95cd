// One upload through PUT /api/file/{name} (or another raw-body PUT, e.g. the filesystem's). XMLHttpRequest, because fetch reports no upload
// progress; send(File) streams the file from disk, so memory does not grow with its size.

export interface UploadedFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  /** Only for anonymous uploads: the key that deletes the file (DELETE /api/file/{id}?key=). */
  deleteKey?: string;
  [key: string]: unknown;
}

export interface UploadHandle<T = UploadedFile> {
  promise: Promise<T>;
  /** Give up: the upload is dropped (on the server too, for a resumable one). */
  abort(): void;
  /** Resumable uploads only: stop sending, keep what the server has; `resume` goes on from there. */
  pause?(): void;
  resume?(): void;
}

/** What a resumable upload tells besides its progress. */
export interface UploadEvents {
  /** An earlier upload of the same file is continued from this byte. */
  onResumeFrom?(offset: number): void;
  /** The connection failed and a retry is scheduled (true), or bytes flow again (false). */
  onReconnecting?(reconnecting: boolean): void;
}

export class UploadError extends Error {
  constructor(
    message: string,
    readonly value: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function uploadFile(
  body: Blob,
  name: string,
  onProgress: (sent: number, total: number) => void,
): UploadHandle {
  return putWithProgress<UploadedFile>(`/api/file/${encodeURIComponent(name)}`, body, onProgress);
}

/** PUT `body` to `url` with upload progress; resolves with the JSON answer. */
export function putWithProgress<T>(
  url: string,
  body: Blob,
  onProgress: (sent: number, total: number) => void,
): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open('PUT', url);
    xhr.withCredentials = true;
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onload = () => {
      const res = xhr.response as Record<string, unknown> | null;
      if (xhr.status >= 200 && xhr.status < 300 && res) resolve(res as T);
      else
        reject(
          new UploadError(
            String(res?.message ?? `The server answered ${xhr.status}`),
            String(res?.value ?? 'error'),
            xhr.status,
          ),
        );
    };
    xhr.onerror = () => reject(new UploadError('The connection failed', 'network_error', 0));
    xhr.onabort = () => reject(new UploadError('Cancelled', 'aborted', 0));
    xhr.send(body);
  });
  return { promise, abort: () => xhr.abort() };
}
