import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendPdError, toPdError } from './errors.js';
import { sendJson } from './respond.js';
import { bool, errors, int, json, str, TAGS } from './schemas.js';

const object = (properties: Record<string, unknown>) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
});

/**
 * GET /api/misc/recaptcha (the captcha's site key: "altcha", empty when off), GET
 * /api/misc/captcha/challenge (a signed ALTCHA proof-of-work challenge), GET /api/misc/rate_limits
 * (the caller's per-IP limits).
 */
export function registerMiscRules(app: FastifyInstance, core: Core): void {
  app.get(
    '/misc/recaptcha',
    {
      schema: {
        summary: 'Captcha site key',
        description:
          'pixeldrain’s captcha key: "altcha" when the self-hosted captcha (ALTCHA proof-of-work) is on, empty when it is off.',
        tags: [TAGS.misc],
        response: {
          200: json(object({ site_key: str('"altcha", or empty: no captcha') }), 'The key'),
        },
      },
    },
    async (_req: FastifyRequest, reply: FastifyReply) =>
      sendJson(reply, { site_key: core.rules.siteKey() }),
  );

  app.get(
    '/misc/captcha/challenge',
    {
      schema: {
        summary: 'A captcha challenge',
        description:
          'A signed ALTCHA (v2) proof-of-work challenge for the widget. Send its solution, base64-encoded JSON `{challenge, solution}`, as `recaptcha_response` of the download: it works once and lets that client download that file for an hour.',
        tags: [TAGS.misc],
        response: {
          200: json({ type: 'object', additionalProperties: true }, 'The challenge'),
          ...errors({ 404: 'not_found (the captcha is off)', 503: 'service_unavailable' }),
        },
      },
    },
    async (_req: FastifyRequest, reply: FastifyReply) => {
      try {
        const challenge = await core.rules.challenge();
        if (!challenge) {
          return sendPdError(reply, {
            status: 404,
            value: 'not_found',
            message: 'The captcha is not enabled on this server',
          });
        }
        reply.header('Cache-Control', 'no-store');
        return sendJson(reply, challenge);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.get(
    '/misc/rate_limits',
    {
      schema: {
        summary: 'Your download limits',
        description:
          'The caller IP’s limits per day and what it used (0 = no limit). A solved captcha adds a further allowance; `speed_limit` is set once a client is slowed.',
        tags: [TAGS.misc],
        response: {
          200: json(
            object({
              server_overload: bool('Always false'),
              speed_limit: int('Bytes per second this client is slowed to, 0 = not slowed'),
              download_limit: int('Downloads per day, 0 = no limit'),
              download_limit_used: int('Downloads today'),
              transfer_limit: int('Bytes per day, 0 = no limit'),
              transfer_limit_used: int('Bytes today'),
            }),
            'The limits',
          ),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) =>
      sendJson(reply, core.rules.rateLimits(req.ip)),
  );
}
