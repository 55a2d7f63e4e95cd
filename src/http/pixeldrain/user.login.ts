import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { readForm } from '../common/form.js';
import { refuseForeignOrigin } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { clientInfo, FORM_MAX_BYTES, newSessionJson, sendJson, setAuthCookie } from './respond.js';
import { errors, form, json, str, TAGS } from './schemas.js';

/**
 * POST /api/user/login: form `username` (or e-mail), `password`, optional `app_name`. 201 with the
 * new session and the `pd_auth_key` cookie.
 */
export function registerUserLogin(app: FastifyInstance, core: Core, secureCookies: boolean): void {
  app.post(
    '/user/login',
    {
      schema: {
        summary: 'Log in',
        description:
          'Creates an API key (session); the reply has it in auth_key and sets the pd_auth_key cookie.',
        tags: [TAGS.account],
        body: form(
          {
            username: str('User name or e-mail address'),
            password: str('Password'),
            app_name: str('Name for the new key'),
          },
          ['username', 'password'],
        ),
        response: {
          201: json('Session', 'Logged in: the new key, and Set-Cookie pd_auth_key'),
          ...errors({
            400: 'password_incorrect, no_login_method_available, request_origin_invalid, error_reading_input',
            404: 'user_not_found',
            413: 'request_too_large',
            429: 'ip_rate_limit_reached (Retry-After)',
          }),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        // A login posted by another site would sign the browser into someone else's account.
        refuseForeignOrigin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        const session = await core.accounts.login(
          fields.username ?? '',
          fields.password ?? '',
          fields.app_name ?? '',
          clientInfo(req),
        );
        setAuthCookie(req, reply, session.key, secureCookies);
        return sendJson(reply, newSessionJson(session), 201);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
