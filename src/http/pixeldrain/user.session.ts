import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidInput } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { ACCESS_LEVELS, type AccessLevel } from '../../core/records.js';
import { readForm } from '../common/form.js';
import { callerOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import {
  clientInfo,
  FORM_MAX_BYTES,
  newSessionJson,
  OK,
  sendJson,
  sessionJson,
  setAuthCookie,
} from './respond.js';
import { AUTH, AUTH_ERRORS, errors, form, json, ref, str, TAGS } from './schemas.js';

/**
 * /api/user/session: POST creates an API key (`app_name`), GET lists the caller's keys, DELETE
 * revokes the key the request was made with (log out), or with `?id=` another of the caller's keys.
 */
export function registerUserSession(
  app: FastifyInstance,
  core: Core,
  secureCookies: boolean,
): void {
  const common = { tags: [TAGS.account], security: AUTH };
  const post = {
    ...common,
    summary: 'Create an API key',
    body: form({
      app_name: str('Name for the new key'),
      access_level: str(
        'Stowage: `basic` (upload only: the uploader recipes of the keys page), `apikey` or `full` (default)',
      ),
    }),
    response: {
      201: json('Session', 'The new key, in auth_key'),
      ...errors({
        400: 'error_reading_input, multiple_errors (enum_parse_failed: access_level)',
        ...AUTH_ERRORS,
        413: 'request_too_large',
      }),
    },
  };
  const get = {
    ...common,
    summary: 'List your API keys',
    description: 'Keys are stored hashed: each is named by its id, never shown again.',
    response: {
      200: json({ type: 'array', items: ref('Session') }, 'The caller’s keys'),
      ...errors(AUTH_ERRORS),
    },
  };
  const del = {
    ...common,
    summary: 'Revoke an API key (log out)',
    description: 'Revokes the key the request was made with (and clears the cookie), or `?id=`.',
    querystring: { type: 'object', properties: { id: str('Id of another of your keys') } },
    response: {
      200: json('Ok', 'Revoked'),
      ...errors({ ...AUTH_ERRORS, 404: 'not_found (no such key of yours)' }),
    },
  };

  app.post('/user/session', { schema: post }, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
      const level = fields.access_level;
      if (level !== undefined && !(ACCESS_LEVELS as readonly string[]).includes(level)) {
        throw invalidInput([
          { field: 'access_level', problem: 'invalid_enum', allowed: ACCESS_LEVELS },
        ]);
      }
      const session = await core.accounts.createSession(
        principal,
        fields.app_name ?? '',
        clientInfo(req),
        level ? { accessLevel: level as AccessLevel } : {},
      );
      return sendJson(reply, newSessionJson(session), 201);
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.get('/user/session', { schema: get }, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      const keys = await core.accounts.listSessions(principal);
      return sendJson(
        reply,
        keys.map((k) => sessionJson(k)),
      );
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.delete(
    '/user/session',
    { schema: del },
    async (req: FastifyRequest<{ Querystring: { id?: string } }>, reply: FastifyReply) => {
      try {
        const principal = await callerOf(core, req);
        const id = req.query.id;
        await core.accounts.revokeSession(principal, id);
        if (!id || id === principal.keyId) setAuthCookie(req, reply, null, secureCookies);
        return sendJson(reply, OK);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
