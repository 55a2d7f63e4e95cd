// One upload through PUT /api/file/{name}. XMLHttpRequest, because fetch reports no upload
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

export interface UploadHandle {
  promise: Promise<UploadedFile>;
  abort(): void;
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
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadedFile>((resolve, reject) => {
    xhr.open('PUT', `/api/file/${encodeURIComponent(name)}`);
    xhr.withCredentials = true;
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onload = () => {
      const res = xhr.response as Record<string, unknown> | null;
      if (xhr.status >= 200 && xhr.status < 300 && res) resolve(res as UploadedFile);
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
