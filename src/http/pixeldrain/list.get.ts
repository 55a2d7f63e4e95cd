import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { fileInfo } from './file-info.js';
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
        const { list, entries, canEdit } = await core.lists.get(req.params.id, viewer);
        return sendJson(reply, {
          success: true,
          id: list.id,
          title: list.title,
          date_created: new Date(list.createdAt).toISOString(),
          file_count: entries.length,
          can_edit: canEdit,
          files: entries.map((e) => ({
            detail_href: `/file/${e.file.id}/info`,
            description: e.description,
            ...fileInfo(e.file, core.files.canEdit(e.file, viewer)),
          })),
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
