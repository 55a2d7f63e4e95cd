import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { fileInfo } from './file-info.js';
import { availabilityOf } from './download-rules.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, errors, idParam, json, ref, TAGS } from './schemas.js';

/** GET /api/file/{id}/info; comma-separated ids give an array of the ones that exist. */
export function registerFileInfo(app: FastifyInstance, core: Core): void {
  app.get(
    '/file/:id/info',
    {
      schema: {
        summary: 'File info',
        description:
          'One id: its FileInfo. Comma-separated ids (1000 at most): an array of the FileInfo of those that exist (404 only when none does).',
        tags: [TAGS.files],
        security: AUTH_OPTIONAL,
        params: idParam('File id, or comma-separated ids'),
        response: {
          200: json(
            { oneOf: [ref('FileInfo'), { type: 'array', items: ref('FileInfo') }] },
            'FileInfo; an array for comma-separated ids',
          ),
          ...errors({
            ...AUTH_ERRORS,
            404: 'not_found',
            422: 'string_out_of_range (over 1000 ids)',
          }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      try {
        const viewer = await principalOf(core, req, 'read');
        const { id } = req.params;
        let body: unknown;
        const who = { client: req.ip, userId: viewer?.userId ?? null };
        if (id.includes(',')) {
          const files = await core.files.getMany(id.split(',').map((s) => s.trim()));
          body = await Promise.all(
            files.map(async (f) =>
              fileInfo(
                f,
                core.files.canEdit(f, viewer),
                await availabilityOf(core, f, who),
                core.limits.inactivity.deleteAfter(f),
              ),
            ),
          );
        } else {
          const file = await core.files.get(id);
          body = fileInfo(
            file,
            core.files.canEdit(file, viewer),
            await availabilityOf(core, file, who),
            core.limits.inactivity.deleteAfter(file),
          );
        }
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
