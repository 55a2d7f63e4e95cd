import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { contentDisposition } from '../common/content-disposition.js';
import { readCredentials } from '../common/credentials.js';
import { principalOf } from '../pixeldrain/auth.js';
import { sendPdError, toPdError } from '../pixeldrain/errors.js';
import { clientInfo } from '../pixeldrain/respond.js';
import { always, AUTH_OPTIONAL, errors, idParam, json, str, TAGS } from '../pixeldrain/schemas.js';

/** GET /misc/sharex/{host}.sxcu (web route, pixeldrain spec 9). */
const SHAREX_CONFIG = {
  type: 'object',
  properties: {
    Version: str('ShareX config version'),
    Name: str('Stowage (<host>)'),
    DestinationType: str('ImageUploader, TextUploader, FileUploader'),
    RequestMethod: always('PUT'),
    RequestURL: str('<origin>/api/file/{filename}'),
    Body: always('Binary'),
    URL: str('<origin>/u/{json:id}'),
    ThumbnailURL: str('<origin>/api/file/{json:id}/thumbnail'),
    Headers: {
      type: 'object',
      description: 'With credentials: {"Authorization":"Basic …"} (a new key named sharex)',
      additionalProperties: { type: 'string' },
    },
    DeletionURL: str('With credentials: <origin>/u/{json:id}'),
  },
};

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
 * Whether a GET may create something for the cookie it carries. A browser sends the cookie with a
 * top-level navigation from any site (SameSite=Lax allows it), so a link elsewhere could make a
 * key in the visitor's account. Browsers say where a request comes from in Sec-Fetch-Site:
 * `same-origin` (our keys page's fetch) and `none` (typed in the address bar, a bookmark: the
 * user's own act, which no other site can cause) are trusted; `cross-site`, `same-site` and a
 * missing header (a browser too old to send it) are not. Explicit credentials (HTTP Basic) are
 * never sent by a browser on another site's behalf: they always count.
 */
function mayActForCookie(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === 'same-origin' || site === 'none';
}

/**
 * GET /misc/sharex/{host}.sxcu: a ShareX custom uploader for this server (PUT /api/file/{filename}).
 * Logged in (a full-level key, or the login cookie from our own pages), it carries a new
 * upload-only (`basic`) API key named "sharex" in a Basic auth header: a leaked .sxcu file can
 * upload, never read, delete or manage the account.
 */
export function registerShareX(app: FastifyInstance, core: Core, config: Config): void {
  app.get(
    '/misc/sharex/:file',
    {
      schema: {
        summary: 'ShareX custom uploader',
        description:
          'A .sxcu file uploading to this server (PUT /api/file/{filename}). With a full-level key (HTTP Basic), or the login cookie on a same-origin request (Sec-Fetch-Site: same-origin or none), it carries a new upload-only (basic) API key "sharex" in a Basic auth header; a cookie sent from another site gets the anonymous file. Any name ending in .sxcu.',
        tags: [TAGS.misc],
        security: AUTH_OPTIONAL,
        params: idParam('<host>.sxcu', 'file'),
        response: {
          200: json(SHAREX_CONFIG, 'The .sxcu file (JSON, attachment)'),
          404: { description: 'Not a .sxcu name', type: 'object' },
          ...errors({
            401: 'authentication_failed (bad key)',
            403: 'forbidden (the key’s level is too low to make keys)',
          }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply) => {
      try {
        if (!req.params.file.endsWith('.sxcu')) return reply.callNotFound();
        const origin = originOf(req, config);
        const creds = readCredentials(req.headers);
        // A cookie without a same-origin signal counts as none: the anonymous config.
        const trusted = creds?.source !== 'cookie' || mayActForCookie(req);
        const principal = trusted ? await principalOf(core, req, 'read') : null;
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
          const session = await core.accounts.createSession(principal, 'sharex', clientInfo(req), {
            accessLevel: 'basic',
          });
          const basic = Buffer.from(`${principal.username}:${session.key}`).toString('base64');
          uploader.Headers = { Authorization: `Basic ${basic}` };
          uploader.DeletionURL = `${origin}/u/{json:id}`;
        }
        const host = new URL(origin).host.replace(/[^A-Za-z0-9.-]/g, '_');
        return reply
          .type('application/json; charset=utf-8')
          .header('Content-Disposition', contentDisposition('attachment', `${host}.sxcu`))
          .header('Cache-Control', 'no-store')
          .send(JSON.stringify(uploader, null, 2));
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
