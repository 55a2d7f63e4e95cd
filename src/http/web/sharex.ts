import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { principalOf } from '../pixeldrain/auth.js';
import { sendPdError, toPdError } from '../pixeldrain/errors.js';
import { clientInfo } from '../pixeldrain/respond.js';
import {
  AUTH_OPTIONAL,
  errors,
  idParam,
  json,
  SHAREX_CONFIG,
  TAGS,
} from '../pixeldrain/schemas.js';

/**
 * The origin links should use: the configured public URL, else the request's own host (checked to
 * be a plain host[:port], so a forged Host header cannot smuggle anything into the file).
 */
export function originOf(req: FastifyRequest, config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = req.headers.host ?? '';
  const safe = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
    ? host
    : socketHost(req, config);
  return `${req.protocol === 'https' ? 'https' : 'http'}://${safe}`;
}

/**
 * The address the request actually reached: config.host/port can be 0.0.0.0 or port 0, which
 * are no address a client can use.
 */
function socketHost(req: FastifyRequest, config: Config): string {
  const addr = (req.socket.localAddress ?? config.host).replace(/^::ffff:/, '');
  const port = req.socket.localPort ?? config.port;
  return `${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
}

/**
 * GET /misc/sharex/{host}.sxcu: a ShareX custom uploader for this server (PUT /api/file/{filename}).
 * Logged in (cookie or key), it carries a new API key named "sharex" in a Basic auth header.
 */
export function registerShareX(app: FastifyInstance, core: Core, config: Config): void {
  app.get(
    '/misc/sharex/:file',
    {
      schema: {
        summary: 'ShareX custom uploader',
        description:
          'A .sxcu file uploading to this server (PUT /api/file/{filename}). With credentials it carries a new API key "sharex" in a Basic auth header. Any name ending in .sxcu.',
        tags: [TAGS.misc],
        security: AUTH_OPTIONAL,
        params: idParam('<host>.sxcu', 'file'),
        response: {
          200: json(SHAREX_CONFIG, 'The .sxcu file (JSON, attachment)'),
          404: { description: 'Not a .sxcu name', type: 'object' },
          ...errors({ 401: 'authentication_failed (bad key)' }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply) => {
      try {
        if (!req.params.file.endsWith('.sxcu')) return reply.callNotFound();
        const origin = originOf(req, config);
        const principal = await principalOf(core, req, 'read');
        const uploader: Record<string, unknown> = {
          Version: '18.0.1',
          Name: `Stowage (${new URL(origin).host})`,
          DestinationType: 'ImageUploader, TextUploader, FileUploader',
          RequestMethod: 'PUT',
          RequestURL: `${origin}/api/file/{filename}`,
          Body: 'Binary',
          URL: `${origin}/u/{json:id}`,
          ThumbnailURL: `${origin}/api/file/{json:id}/thumbnail`,
        };
        if (principal) {
          const session = await core.accounts.createSession(principal, 'sharex', clientInfo(req));
          const basic = Buffer.from(`${principal.username}:${session.key}`).toString('base64');
          uploader.Headers = { Authorization: `Basic ${basic}` };
          uploader.DeletionURL = `${origin}/u/{json:id}`;
        }
        const host = new URL(origin).host.replace(/[^A-Za-z0-9.-]/g, '_');
        return reply
          .type('application/json; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="${host}.sxcu"`)
          .header('Cache-Control', 'no-store')
          .send(JSON.stringify(uploader, null, 2));
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
