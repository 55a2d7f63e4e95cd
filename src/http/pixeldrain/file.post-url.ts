import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import type { UploadResult } from '../../core/files.js';
import type { Core } from '../../core/index.js';
import { safeFileName } from '../../core/names.js';
import { logFailure } from '../common/logging.js';
import { errorBody, toPdError } from './errors.js';
import { newFileBody } from './upload.js';
import { logUpload } from '../common/events.js';

/** `Accept: application/x-ndjson`: progress lines while the server fetches, then the result. */
const NDJSON = /\bapplication\/x-ndjson\b/i;
/** At most this often a progress line (4 a second). */
const PROGRESS_EVERY_MS = 250;

export interface UrlUploadRequest {
  url: string;
  /** The `name` field if sent (else the remote's name). */
  name: string | undefined;
  uploader: Principal | null;
  anonymous: boolean;
}

/**
 * `POST /api/file` with `url=`: the server fetches the URL (core.urlUploads: the setting, the
 * SSRF-safe fetcher, the size and time limits) and stores it as any other upload (quotas, anonymous
 * rules). Answered as the multipart upload (201), or, when the client accepts NDJSON, 200 at once
 * and `{"received":N,"total":M|null}` lines while fetching, then one last line: the same result
 * object or the error object. A client that goes away cancels the fetch and leaves nothing behind.
 */
export async function uploadFromUrl(
  core: Core,
  req: FastifyRequest,
  reply: FastifyReply,
  r: UrlUploadRequest,
): Promise<FastifyReply> {
  // Everything that needs no fetch is refused with a plain error answer, before any fetch.
  core.urlUploads.checkEnabled();
  if (r.name !== undefined) core.files.checkUploadAllowed(r.uploader, null, r.name);

  const ac = new AbortController();
  const socket = req.raw.socket;
  const gone = () => {
    if (!reply.raw.writableFinished) ac.abort();
  };
  // A client that hangs up: the response closes, or (the socket stays half-open while a response
  // is due) the socket's reading side ends first.
  reply.raw.on('close', gone);
  socket?.on('end', gone);
  const stopWatching = () => {
    reply.raw.off('close', gone);
    socket?.off('end', gone);
  };
  const run = (onProgress?: (received: number, total: number | null) => void) =>
    core.urlUploads.upload<UploadResult>(
      r.url.trim(),
      (remote) =>
        core.files.upload({
          body: remote.body,
          name: r.name ?? safeFileName(remote.name, '', 'file'),
          uploader: r.uploader,
          anonymous: r.anonymous,
          rejectEmpty: true,
          uploaderIp: req.ip,
        }),
      {
        signal: ac.signal,
        ...(onProgress ? { onProgress } : {}),
        admit: (size) =>
          core.files.checkUploadQuota(r.uploader, size, { ip: req.ip, anonymous: r.anonymous }),
        discard: (stored) => core.files.remove(stored.file),
      },
    );

  if (!NDJSON.test(req.headers.accept ?? '')) {
    try {
      const result = await run();
      core.telemetry.event('upload', { dialect: 'pixeldrain' });
      logUpload(req.log, 'pixeldrain', result.file);
      return reply.code(201).type('application/json; charset=utf-8').send(newFileBody(result));
    } finally {
      stopWatching();
    }
  }

  const out = new PassThrough();
  // A client that went away: Fastify destroys the stream; the fetch is cancelled by onClose.
  out.on('error', () => {});
  const line = (text: string, last = false) => {
    if (out.destroyed || out.writableEnded) return;
    if (last) out.end(`${text}\n`);
    else out.write(`${text}\n`);
  };
  let shown = 0;
  line(JSON.stringify({ received: 0, total: null }));
  void run((received, total) => {
    const now = Date.now();
    // A client that does not read its progress gets none queued for it.
    if (now - shown < PROGRESS_EVERY_MS || out.writableNeedDrain) return;
    shown = now;
    line(JSON.stringify({ received, total }));
  }).then(
    (result) => {
      stopWatching();
      core.telemetry.event('upload', { dialect: 'pixeldrain' });
      logUpload(req.log, 'pixeldrain', result.file);
      line(newFileBody(result), true);
    },
    (err: unknown) => {
      stopWatching();
      const e = toPdError(err);
      if (e.status >= 500 && e.value === 'internal')
        logFailure(req, reply, err, 'URL upload failed');
      line(errorBody(e), true);
    },
  );
  return reply
    .code(200)
    .type('application/x-ndjson; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(out);
}
