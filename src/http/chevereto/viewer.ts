import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import type { DerivedVariant } from '../../core/media/types.js';
import { mediaKindOf } from '../../core/media-type.js';
import type { FileRecord } from '../../core/records.js';
import { originOf } from '../web/sharex.js';
import { escapeHtml, paths } from './image.js';
import { DELETE_SCHEMA, DERIVED_SCHEMA, VIEWER_SCHEMA } from './schemas.js';
import { logDelete } from '../common/events.js';

const DAY_S = 86_400;
const PAGE_CSP =
  "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;text-align:center}img,video{max-width:100%;height:auto}.notice{background:#e8f5e9;padding:1em;border-radius:4px}</style></head><body>${body}</body></html>`;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('Content-Security-Policy', PAGE_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Cache-Control', 'no-cache')
    .send(html);
}

/** A file blocked by the administrators (moderation): 451, no image, no link. */
function blockedPage(reply: FastifyReply): FastifyReply {
  return page(
    reply,
    451,
    'Unavailable for legal reasons',
    '<p>This file has been blocked by the administrators of this server.</p>',
  );
}

/** Seconds a response about this file may be cached: a day, or until it expires. */
function maxAge(core: Core, file: FileRecord): number {
  if (!file.expiresAt) return DAY_S;
  return Math.max(0, Math.min(DAY_S, Math.floor((file.expiresAt - core.files.clock()) / 1000)));
}

/**
 * The pages and images behind a Chevereto upload's URLs: the viewer (`url_viewer`), the thumb,
 * medium and frame JPEGs, and `delete_url` (GET deletes at once, then the viewer says so).
 */
export function registerViewer(app: FastifyInstance, core: Core, config: Config): void {
  app.get(
    '/image/:id',
    { schema: VIEWER_SCHEMA },
    async (
      req: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string> }>,
      reply: FastifyReply,
    ) => {
      const { id } = req.params;
      let file: FileRecord;
      try {
        file = await core.files.get(id);
      } catch {
        if ('deleted' in req.query) {
          return page(reply, 200, 'Deleted', '<p class="notice">The file has been deleted.</p>');
        }
        return page(reply, 404, 'Not found', '<p>This file does not exist or has expired.</p>');
      }
      if (file.abuseType) return blockedPage(reply);
      const attrs = await core.uploads.attributesOf(file.id);
      const title = attrs.title ?? file.name;
      const raw = paths.raw(file.id);
      const kind = mediaKindOf(file.mimeType);
      const media =
        kind === 'image'
          ? `<p><img src="${raw}" alt="${escapeHtml(title)}"></p>`
          : kind === 'video'
            ? `<p><video src="${raw}" controls preload="metadata"></video></p>`
            : '';
      const body = `<h1>${escapeHtml(title)}</h1>${media}${
        attrs.description ? `<p>${escapeHtml(attrs.description)}</p>` : ''
      }<p><a href="${raw}?download">Download ${escapeHtml(file.name)}</a></p>`;
      return page(reply, 200, title, body);
    },
  );

  app.get(
    '/image/:id/:variant',
    { schema: DERIVED_SCHEMA },
    async (req: FastifyRequest<{ Params: { id: string; variant: string } }>, reply) => {
      const m = /^(thumb|medium|frame)\.jpg$/.exec(req.params.variant);
      const notFound = () =>
        reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .header('Cache-Control', 'no-cache')
          .send('Not found');
      if (!m) return notFound();
      let file: FileRecord;
      try {
        file = await core.files.get(req.params.id);
      } catch {
        return notFound();
      }
      if (file.abuseType) return blockedPage(reply);
      const img = await core.media.derived(file, m[1] as DerivedVariant).catch(() => null);
      if (!img) return notFound();
      reply
        .header('ETag', img.etag)
        .header('Cache-Control', `public, max-age=${maxAge(core, file)}`)
        .header('X-Content-Type-Options', 'nosniff');
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim() === img.etag)) return reply.code(304).send();
      return reply.code(200).type('image/jpeg').send(img.data);
    },
  );

  app.get(
    '/image/:id/delete/:secret',
    { schema: DELETE_SCHEMA },
    async (req: FastifyRequest<{ Params: { id: string; secret: string } }>, reply) => {
      const { id, secret } = req.params;
      try {
        await core.files.delete(id, { principal: null, deleteKey: secret });
        core.telemetry.event('delete', { dialect: 'chevereto' });
        logDelete(req.log, 'chevereto', id, null);
      } catch {
        // Wrong secret, unknown or already deleted file: nothing to say but "not found" (upstream).
        return page(reply, 404, 'Not found', '<p>This delete link is not valid.</p>');
      }
      const to = `${originOf(req, config)}${paths.viewer(id)}?deleted`;
      return reply.code(302).header('Location', to).header('Cache-Control', 'no-store').send('');
    },
  );
}
