import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendPdError, toPdError } from './errors.js';
import { ruleError } from './download-rules.js';
import { binary, empty, errors, FILE_ID, idParam, int, TAGS } from './schemas.js';

/** GET /api/file/{id}/thumbnail (pixeldrain spec 2.6). */
const fileThumbnailSchema = {
  summary: 'Thumbnail of a file',
  description:
    'A PNG thumbnail; width and height are multiples of 16 from 16 to 256 (default 256). Files without a picture get an icon for their type.',
  tags: [TAGS.files],
  params: idParam(FILE_ID),
  querystring: {
    type: 'object',
    properties: {
      width: int('Multiple of 16, 16…256', { minimum: 16, maximum: 256, multipleOf: 16 }),
      height: int('Multiple of 16, 16…256', { minimum: 16, maximum: 256, multipleOf: 16 }),
    },
  },
  response: {
    200: binary('image/png', 'The thumbnail (ETag, long-lived Cache-Control)'),
    304: empty('Not modified (If-None-Match)'),
    ...errors({ 400: 'invalid_thumbnail_size', 404: 'not_found' }),
  },
};

/** Rendered thumbnails never change for a file id; icons may become a real thumbnail later. */
const THUMBNAIL_CACHE = 'public, max-age=31536000, immutable';
const ICON_CACHE = 'public, max-age=3600';

type Query = { width?: string | string[]; height?: string | string[] };

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

/** A repeated parameter is not a size. */
const one = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? 'invalid' : v;

/**
 * GET|HEAD /api/file/{id}/thumbnail?width=&height=: a PNG within the box (default 256x256, sides
 * multiples of 16 from 16 to 256), or a mime-type icon of that size when none can be made.
 */
export function registerFileThumbnail(app: FastifyInstance, core: Core): void {
  app.get(
    '/file/:id/thumbnail',
    { schema: fileThumbnailSchema },
    async (
      req: FastifyRequest<{ Params: { id: string }; Querystring: Query }>,
      reply: FastifyReply,
    ) => {
      try {
        const { w, h } = core.media.thumbnailSize(one(req.query.width), one(req.query.height));
        const file = await core.files.get(req.params.id);
        // A blocked file shows nothing, not even a thumbnail (admins use the download).
        if (file.abuseType)
          return sendPdError(reply, ruleError('unavailable_for_legal_reasons', [file]));
        const inm = req.headers['if-none-match'];
        const expected = core.media.thumbnailEtag(file, w, h);
        if (matchesEtag(inm, expected)) {
          return reply
            .code(304)
            .header('ETag', expected)
            .header('Cache-Control', THUMBNAIL_CACHE)
            .send();
        }
        const thumb = await core.media.thumbnail(file, w, h);
        const cache = thumb.icon ? ICON_CACHE : THUMBNAIL_CACHE;
        reply.header('ETag', thumb.etag).header('Cache-Control', cache);
        if (matchesEtag(inm, thumb.etag)) return reply.code(304).send();
        return reply
          .header('X-Content-Type-Options', 'nosniff')
          .header('Cross-Origin-Resource-Policy', 'cross-origin')
          .type('image/png')
          .send(thumb.data);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
