import { countDownload } from '../common/count-download.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import type { FileRecord } from '../../core/records.js';
import { contentDisposition } from '../common/content-disposition.js';
import { sendFile } from '../common/send-file.js';
import { sendPdError, toPdError, writePdError } from './errors.js';
import { DOWNLOAD_HEADERS, DOWNLOAD_QUERY, DOWNLOAD_RESPONSES } from './download.schemas.js';
import { idParam, TAGS } from './schemas.js';
import { replyWithZip } from './zip-files.js';
import { admitDownload, admitDownloadNow, admitZip } from './download-rules.js';
import { logFailure } from '../common/logging.js';

/** How many files one multi-id download may bundle. */
const MAX_ZIP_IDS = 1000;

/** GET|HEAD /api/file/{id}: the bytes, inline unless `?download`, with ranges and conditionals. */
export function registerFileGet(app: FastifyInstance, core: Core): void {
  app.get(
    '/file/:id',
    {
      schema: {
        summary: 'Download a file (several: a zip)',
        description:
          'The bytes, with the file’s own Content-Type (application/octet-stream below stands for any), inline unless `?download`. One byte range, ETag / Last-Modified and conditional requests; HEAD too. Comma-separated ids (1000 at most) give one zip of those files.',
        tags: [TAGS.files],
        params: idParam('File id, or comma-separated ids for a zip'),
        querystring: DOWNLOAD_QUERY,
        headers: DOWNLOAD_HEADERS,
        response: DOWNLOAD_RESPONSES,
      },
    },
    async (
      req: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string> }>,
      reply: FastifyReply,
    ) => {
      const { id } = req.params;
      if (id.includes(',')) {
        // Several ids: one zip of all of them (the web UI's "download selected").
        let files;
        try {
          files = await core.files.getAll(
            id.split(',').map((s) => s.trim()),
            MAX_ZIP_IDS,
          );
        } catch (err) {
          return sendPdError(reply, toPdError(err));
        }
        const admitted = await admitZip(core, req, files);
        if (!admitted.ok) return sendPdError(reply, admitted.error);
        return replyWithZip(core, req, reply, 'files.zip', files, admitted.admissions);
      }
      // A file looked up moments ago is at hand: no wait (a small GET answers from memory).
      let file = core.files.cached(id);
      if (!file) {
        try {
          file = await core.files.get(id);
        } catch (err) {
          return sendPdError(reply, toPdError(err));
        }
      }
      return downloadFile(core, req, reply, file);
    },
  );
}

/**
 * One file's bytes as `GET|HEAD /api/file/{id}` serves them: the download rules (hotlink,
 * captcha, limits, malware), a presigned redirect when the store offers one, else `sendFile`
 * (ranges, conditionals, the file's own Content-Type with nosniff and the active-content CSP),
 * and the download counted. Every URL that hands out a stored file's bytes goes through here
 * (the Chevereto dialect's `/i/{id}.{ext}` too).
 */
export async function downloadFile(
  core: Core,
  req: FastifyRequest<{ Querystring: Record<string, string> }>,
  reply: FastifyReply,
  file: FileRecord,
): Promise<FastifyReply | void> {
  let admitted;
  try {
    // The rules' common case is decided at once; anything else waits for them.
    admitted = admitDownloadNow(core, req, file) ?? (await admitDownload(core, req, file));
  } catch (err) {
    return sendPdError(reply, toPdError(err));
  }
  if (!admitted.ok) return sendPdError(reply, admitted.error);
  const { exempt, speedLimit } = admitted.admission;
  const counted = { exempt, governed: true };
  const disposition = 'download' in req.query ? 'attachment' : 'inline';
  // A slowed client gets the bytes through this server (a redirect would escape the limit).
  if (req.method === 'GET' && speedLimit === 0) {
    try {
      const url = await core.files.redirectUrl(file, () =>
        contentDisposition(disposition, file.name),
      );
      if (url) countDownload(core, file, file.size, req.ip, counted);
      if (url) return reply.code(302).header('Cache-Control', 'no-store').redirect(url);
    } catch (err) {
      req.log.warn({ err }, 'presigning failed; serving the bytes instead');
    }
  }
  reply.hijack();
  try {
    await sendFile(req.raw, reply.raw, file, {
      disposition,
      readBytes: (range) => core.files.readBytes(file, range),
      heldBytes: (range) => core.files.heldBytes(file, range),
      openStream: (range) => core.files.openStream(file, range),
      openReader: () => core.files.openReader(file),
      onSent: (bytes) => countDownload(core, file, bytes, req.ip, counted),
      ...(speedLimit > 0 ? { bytesPerSecond: speedLimit } : {}),
    });
  } catch (err) {
    logFailure(req, reply, err, 'download failed');
    writePdError(reply.raw, toPdError(err));
  }
}
