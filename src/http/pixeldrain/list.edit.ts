import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { callerOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { readListBody } from './list-body.js';
import { OK, sendJson } from './respond.js';
import { AUTH, AUTH_ERRORS, errors, idParam, json, ref, TAGS } from './schemas.js';

type Params = { Params: { id: string } };

/** PUT /api/list/{id} (replace title and files) and DELETE /api/list/{id}: the owner only. */
export function registerListEdit(app: FastifyInstance, core: Core): void {
  const ownerErrors = { ...AUTH_ERRORS, 403: 'forbidden', 404: 'not_found' };
  const put = {
    summary: 'Replace a list',
    description: 'New title (missing: kept) and the whole ordered file list; by the owner.',
    tags: [TAGS.lists],
    security: AUTH,
    params: idParam('List id'),
    body: ref('ListBody'),
    response: {
      200: json('Ok', 'Replaced'),
      ...errors({
        400: 'error_reading_input',
        ...ownerErrors,
        413: 'too_many_files, title_too_long, description_too_long, request_too_large',
        422: 'json_parse_failed, list_file_not_found, cannot_create_empty_list',
      }),
    },
  };
  const del = {
    summary: 'Delete a list',
    description: 'By its owner; the files stay.',
    tags: [TAGS.lists],
    security: AUTH,
    params: idParam('List id'),
    response: { 200: json('Ok', 'Deleted'), ...errors(ownerErrors) },
  };

  app.put(
    '/list/:id',
    { schema: put },
    async (req: FastifyRequest<Params>, reply: FastifyReply) => {
      try {
        const principal = await callerOf(core, req);
        const input = await readListBody(req, reply);
        await core.lists.update(req.params.id, input, principal);
        return sendJson(reply, OK);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.delete(
    '/list/:id',
    { schema: del },
    async (req: FastifyRequest<Params>, reply: FastifyReply) => {
      try {
        const principal = await callerOf(core, req);
        await core.lists.delete(req.params.id, principal);
        return sendJson(reply, OK);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
