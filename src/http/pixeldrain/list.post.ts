import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { readListBody } from './list-body.js';
import { sendJson } from './respond.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, errors, json, ref, TAGS } from './schemas.js';

/** POST /api/list: JSON `{title, anonymous, files:[{id, description}]}` → 201 `{"success":true,"id"}`. */
export function registerListPost(app: FastifyInstance, core: Core): void {
  const schema = {
    summary: 'Create a list',
    description: 'A list (album) of existing files, in order, with optional descriptions.',
    tags: [TAGS.lists],
    security: AUTH_OPTIONAL,
    body: ref('ListBody'),
    response: {
      201: json('NewId', 'Created'),
      ...errors({
        400: 'error_reading_input',
        ...AUTH_ERRORS,
        413: 'too_many_files, title_too_long, description_too_long, request_too_large',
        422: 'json_parse_failed, list_file_not_found (extra.file_not_found), cannot_create_empty_list',
      }),
    },
  };
  app.post('/list', { schema }, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await principalOf(core, req, 'optional');
      const input = await readListBody(req, reply);
      const list = await core.lists.create(input, principal);
      return sendJson(reply, { success: true, id: list.id }, 201);
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });
}
