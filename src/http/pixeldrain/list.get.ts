import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { listInfo } from './file-info.js';
import { availabilityOf } from './download-rules.js';
import { sendJson } from './respond.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, errors, idParam, json, TAGS } from './schemas.js';

/** GET /api/list/{id}: ListInfo, each file's full FileInfo with `detail_href` and `description` first. */
export function registerListGet(app: FastifyInstance, core: Core): void {
  app.get(
    '/list/:id',
    {
      schema: {
        summary: 'List info',
        description: 'The list and every file’s FileInfo, after its detail_href and description.',
        tags: [TAGS.lists],
        security: AUTH_OPTIONAL,
        params: idParam('List id'),
        response: {
          200: json('ListInfo', 'The list'),
          ...errors({ ...AUTH_ERRORS, 404: 'not_found' }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      try {
        const viewer = await principalOf(core, req, 'read');
        const view = await core.lists.get(req.params.id, viewer);
        const who = { client: req.ip, userId: viewer?.userId ?? null };
        const availability = new Map(
          await Promise.all(
            view.entries.map(
              async (e) => [e.file.id, await availabilityOf(core, e.file, who)] as const,
            ),
          ),
        );
        return sendJson(reply, listInfo(core, view, viewer, availability));
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
