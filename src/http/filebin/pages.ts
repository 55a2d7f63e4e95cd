import { countDownload } from '../common/count-download.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { MULTIPASTE_PREFIX } from '../../core/lists.js';
import type { FileRecord } from '../../core/records.js';
import { sendFile } from '../common/send-file.js';
import { sendTarGz } from '../common/tar.js';
import { fbMimeType } from './file.history.js';
import {
  errorPage,
  imagePage,
  infoPage,
  multipastePage,
  notFoundPage,
  PAGE_CSP,
  textPage,
} from './pages-html.js';
import {
  PAGE_ACTION_SCHEMA,
  PAGE_POST_SCHEMA,
  PAGE_RAW_SCHEMA,
  PAGE_SCHEMA,
  THUMBNAIL_SCHEMA,
} from './schemas.js';
import { logFailure } from '../common/logging.js';

/** FileBin highlights text up to this size; bigger files are served raw. */
const MAX_TEXT = 2 * 1024 * 1024;
/** FileBin's tarball_max_size. */
const MAX_TAR = 50 * 1024 * 1024;
const THUMB_SIDE = 150;
/** The CSP FileBin sends with raw files (our sandbox policy replaces it for active types). */
const RAW_CSP =
  "default-src 'none'; img-src data: *; media-src *; font-src data: *; style-src 'unsafe-inline' *; script-src 'none'; object-src *; frame-src 'none';";

/**
 * The id in a root URL: a file id or "m-" + id. `api` is excluded so that /api/… paths nobody
 * serves still reach the pixeldrain API's not-found answer instead of a FileBin page.
 */
export const PAGE_ID = '(^(?!api$)(?:m-)?[A-Za-z0-9]{1,64}$)';

export function sendErrorPage(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
): FastifyReply {
  return sendHtml(reply, errorPage(title, message), status);
}

function sendHtml(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('Content-Security-Policy', PAGE_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'same-origin')
    .type('text/html; charset=UTF-8')
    .send(html);
}

const notFound = (reply: FastifyReply) => sendHtml(reply, notFoundPage(), 404);

/** A file blocked by the administrators (moderation): HTTP 451 in FileBin's error page. */
const blocked = (reply: FastifyReply) =>
  sendErrorPage(
    reply,
    451,
    'Unavailable For Legal Reasons',
    'This file has been blocked by the administrators of this server.',
  );

function isText(file: FileRecord): boolean {
  const t = file.mimeType.split(';')[0]!.trim();
  return (
    file.size <= MAX_TEXT &&
    (t.startsWith('text/') ||
      /^application\/(json|xml|javascript|x-sh|x-shellscript|x-yaml|toml|sql)$/.test(t) ||
      /\+(json|xml)$/.test(t))
  );
}

type IdReq = FastifyRequest<{ Params: { id: string; action?: string } }>;

export function registerPages(app: FastifyInstance, core: Core, config: Config): void {
  // An infected file's bytes are not served here (FileBin has no captcha): the viewer, /u/{id},
  // is where a person can get them (pixeldrain's download rules). Null when none is infected.
  const malware = (reply: FastifyReply, files: readonly FileRecord[]): FastifyReply | null => {
    const f = files.find((x) => x.scanStatus === 'infected');
    if (!f) return null;
    const block = config.clamavAction === 'block';
    return sendErrorPage(
      reply,
      block ? 451 : 403,
      'Error',
      `This file has been marked as malware by our scanning systems.${
        block ? '' : ` To download it anyway, open /u/${f.id} and fill in the captcha.`
      }`,
    );
  };

  const lookup = async (id: string): Promise<FileRecord | null> => {
    try {
      return await core.files.get(id);
    } catch (err) {
      if (err instanceof CoreError && err.code === 'not_found') return null;
      throw err;
    }
  };

  const raw = async (req: IdReq, reply: FastifyReply, file: FileRecord, asText = false) => {
    const refused = malware(reply, [file]);
    if (refused) return refused;
    const served: FileRecord = asText ? { ...file, mimeType: 'text/plain; charset=utf-8' } : file;
    reply.hijack();
    reply.raw.setHeader('Content-Security-Policy', RAW_CSP);
    try {
      await sendFile(req.raw, reply.raw, served, {
        disposition: 'inline',
        readBytes: (range) => core.files.readBytes(file, range),
        openStream: (range) => core.files.openStream(file, range),
        openReader: () => core.files.openReader(file),
        onSent: (bytes) => countDownload(core, file, bytes, req.ip),
      });
    } catch (err) {
      logFailure(req, reply, err, 'filebin: download failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500).end();
      else reply.raw.destroy();
    }
  };

  const multipaste = async (req: IdReq, reply: FastifyReply, tar: boolean) => {
    let view;
    try {
      view = await core.lists.multipaste(req.params.id);
    } catch (err) {
      if (err instanceof CoreError && err.code === 'not_found') return notFound(reply);
      throw err;
    }
    const files = view.entries.map((e) => e.file);
    if (files.length === 0) return notFound(reply);
    if (files.some((f) => f.abuseType)) return blocked(reply);
    const refused = malware(reply, files);
    if (refused) return refused;
    if (tar) {
      const total = files.reduce((n, f) => n + f.size, 0);
      if (total > MAX_TAR) {
        return sendErrorPage(reply, 413, 'Error', 'Tarball too large, refusing to create.');
      }
      reply.hijack();
      try {
        await sendTarGz(
          req.raw,
          reply.raw,
          `${view.list.id}.tar.gz`,
          files.map((f) => ({
            name: f.name,
            size: f.size,
            mtime: new Date(f.createdAt),
            open: () => core.files.openStream(f),
          })),
        );
      } catch (err) {
        logFailure(req, reply, err, 'filebin: tarball failed');
        reply.raw.destroy();
      }
      return reply;
    }
    const shown = [];
    for (const file of files) {
      const text = isText(file) ? (await core.files.readBytes(file)).toString('utf8') : null;
      const image = text === null && (await core.media.canThumbnailImage(file.mimeType));
      shown.push({ file, text, image });
    }
    return sendHtml(reply, multipastePage(view.list, shown));
  };

  const page = async (req: IdReq, reply: FastifyReply) => {
    if (req.params.id.startsWith(MULTIPASTE_PREFIX)) return multipaste(req, reply, false);
    const file = await lookup(req.params.id);
    if (!file) return notFound(reply);
    if (file.abuseType) return blocked(reply);
    const refused = malware(reply, [file]);
    if (refused) return refused;
    if (isText(file)) {
      return sendHtml(reply, textPage(file, (await core.files.readBytes(file)).toString('utf8')));
    }
    if (await core.media.canThumbnailImage(file.mimeType)) return sendHtml(reply, imagePage(file));
    // Binaries (and big texts) are served as they are, as FileBin does.
    return raw(req, reply, file);
  };

  // GET /{id}: the raw file (what fb -g and re-pastes fetch); a multipaste's page.
  app.get(`/:id${PAGE_ID}`, { schema: PAGE_RAW_SCHEMA }, async (req: IdReq, reply) => {
    if (req.params.id.startsWith(MULTIPASTE_PREFIX)) return multipaste(req, reply, false);
    const file = await lookup(req.params.id);
    if (!file) return notFound(reply);
    if (file.abuseType) return blocked(reply);
    return raw(req, reply, file);
  });

  // POST /{id}: FileBin refuses non-API posts without its CSRF token.
  app.post(`/:id${PAGE_ID}`, { schema: PAGE_POST_SCHEMA }, async (_req, reply) =>
    sendErrorPage(reply, 403, 'Error', 'The action you have requested is not allowed.'),
  );

  // GET /{id}/: the page for the file (text shown, images shown, others downloaded).
  app.get(`/:id${PAGE_ID}/`, { schema: PAGE_SCHEMA }, page);

  // GET /{id}/plain, /{id}/info, /m-{id}/tar; anything else (FileBin's lexer names) is the page.
  app.get(
    `/:id${PAGE_ID}/:action`,
    { schema: PAGE_ACTION_SCHEMA },
    async (req: IdReq, reply: FastifyReply) => {
      const { id, action } = req.params;
      if (id.startsWith(MULTIPASTE_PREFIX)) return multipaste(req, reply, action === 'tar');
      if (action === 'plain' || action === 'info') {
        const file = await lookup(id);
        if (!file) return notFound(reply);
        if (file.abuseType) return blocked(reply);
        if (action === 'plain') return raw(req, reply, file, true);
        const md5 = (await core.files.md5Of([file])).get(file.blobKey) ?? '';
        return sendHtml(reply, infoPage(file, md5, fbMimeType(file.mimeType, file.size)));
      }
      return page(req, reply);
    },
  );

  // GET /file/thumbnail/{id}: a 150×150 JPEG of an image; anything else 404.
  app.get(
    '/file/thumbnail/:id',
    { schema: THUMBNAIL_SCHEMA },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const file = await lookup(req.params.id);
      if (!file) return notFound(reply);
      if (file.abuseType) return blocked(reply);
      const etag = `"${file.id.toLowerCase()}-thumb"`;
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim() === etag)) {
        return reply.code(304).header('ETag', etag).send();
      }
      const jpeg = await core.media.squareJpeg(file, THUMB_SIDE);
      if (!jpeg) return notFound(reply);
      return reply
        .header('ETag', etag)
        .header('Cache-Control', 'max-age=31536000, public')
        .header('X-Content-Type-Options', 'nosniff')
        .type('image/jpeg')
        .send(jpeg);
    },
  );
}
