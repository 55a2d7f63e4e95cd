// POST /api/file with url=: the server fetches the file. Asked with Accept: application/x-ndjson,
// the answer streams `{"received":N,"total":M|null}` lines while the server fetches, then one last
// line: the upload's result (`{"success":true,"id":…}`, deleteKey first if anonymous) or the error.
import { ApiFailure } from '../api';

export interface UrlUploadResult {
  id: string;
  deleteKey?: string;
}

export type Progress = (received: number, total: number | null) => void;

interface Line {
  received?: number;
  total?: number | null;
  success?: boolean;
  id?: string;
  deleteKey?: string;
  value?: string;
  message?: string;
}

/** Upload the file at `url` (named `name` if given); progress as the server reports it. */
export async function uploadFromUrl(
  url: string,
  name: string,
  onProgress: Progress,
  signal?: AbortSignal,
): Promise<UrlUploadResult> {
  const form = new URLSearchParams({ url });
  if (name) form.set('name', name);
  const r = await fetch('/api/file', {
    method: 'POST',
    body: form,
    headers: { Accept: 'application/x-ndjson' },
    credentials: 'same-origin',
    signal,
  });
  if (!r.ok || !r.body) {
    // Refused before the fetch began (URL uploads off, not logged in, quota): a plain error.
    const e = (await r.json().catch(() => ({}))) as Line;
    throw new ApiFailure(r.status, e.value ?? 'error', e.message ?? `HTTP ${r.status}`);
  }
  let last: Line | null = null;
  for await (const line of lines(r.body)) {
    const o = JSON.parse(line) as Line;
    if (typeof o.success === 'boolean') {
      last = o;
      break;
    }
    onProgress(o.received ?? 0, o.total ?? null);
  }
  if (!last) throw new ApiFailure(0, 'error_reading_input', 'The server stopped answering');
  if (!last.success || !last.id) {
    throw new ApiFailure(200, last.value ?? 'error', last.message ?? 'The upload failed');
  }
  return { id: last.id, ...(last.deleteKey ? { deleteKey: last.deleteKey } : {}) };
}

/** The lines of a streamed body, as they arrive. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield line;
      }
    }
    if (buffered.trim()) yield buffered.trim();
  } finally {
    reader.releaseLock();
  }
}
