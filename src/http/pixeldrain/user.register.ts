import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { readForm } from '../common/form.js';
import { sendPdError, toPdError } from './errors.js';
import { clientInfo, CREATED, FORM_MAX_BYTES, sendJson } from './respond.js';
import { errors, form, json, str, TAGS } from './schemas.js';

/**
 * POST /api/user/register: form `username`, optional `email`, `password`; `invite` when
 * STOWAGE_REGISTRATION=invite (a wrong, used or expired code: 400 `invite_invalid`).
 */
export function registerUserRegister(app: FastifyInstance, core: Core): void {
  app.post(
    '/user/register',
    {
      schema: {
        summary: 'Register an account',
        description: 'Then log in with POST /api/user/login.',
        tags: [TAGS.account],
        body: form(
          {
            username: str('User name'),
            email: str('E-mail address (optional)'),
            password: str('Password'),
            invite: str('Invite code (required when registration is by invite)'),
          },
          ['username', 'password'],
        ),
        response: {
          201: json('Created', 'Registered'),
          ...errors({
            400: 'multiple_errors (missing_field, string_out_of_range, field_contains_illegal_character, invalid_email_address), username_already_registered, email_address_already_registered, error_reading_input, invite_invalid (unknown, used or expired invite code)',
            403: 'forbidden (registration is closed)',
            413: 'request_too_large',
            429: 'ip_rate_limit_reached (Retry-After)',
          }),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        await core.accounts.register(
          {
            username: fields.username,
            email: fields.email,
            password: fields.password,
            invite: fields.invite,
          },
          clientInfo(req),
        );
        return sendJson(reply, CREATED, 201);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
