import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { safeFileName } from '../../core/names.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, binary, errors, idParam, TAGS } from './schemas.js';
import { replyWithZip } from './zip-files.js';

/** GET /api/list/{id}/zip: every file of the list in one streamed zip named after the title. */
export function registerListZip(app: FastifyInstance, core: Core): void {
  app.get(
    '/list/:id/zip',
    {
      schema: {
        summary: 'Download a list as a zip',
        description: 'Every file of the list in one streamed zip, named after the title.',
        tags: [TAGS.lists],
        security: AUTH_OPTIONAL,
        params: idParam('List id'),
        response: {
          200: binary('application/zip', 'The zip (attachment "<title>.zip")'),
          ...errors({ ...AUTH_ERRORS, 404: 'not_found' }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      let view;
      try {
        const viewer = await principalOf(core, req, 'read');
        view = await core.lists.get(req.params.id, viewer);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
      await replyWithZip(
        core,
        req,
        reply,
        safeFileName(view.list.title, '.zip', 'list'),
        view.entries.map((e) => e.file),
      );
    },
  );
}
