import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, errors, idParam, json, TAGS } from './schemas.js';
import { logDelete } from '../common/events.js';

/** DELETE /api/file/{id}: the owner's key, or `?key=` with the delete key of an anonymous upload. */
export function registerFileDelete(app: FastifyInstance, core: Core): void {
  app.delete(
    '/file/:id',
    {
      schema: {
        summary: 'Delete a file',
        description: 'By its owner, or with `?key=` the delete key of an anonymous upload.',
        tags: [TAGS.files],
        security: AUTH_OPTIONAL,
        params: idParam('File id'),
        querystring: {
          type: 'object',
          properties: { key: { type: 'string', description: 'Delete key (anonymous uploads)' } },
        },
        response: {
          200: json('Ok', 'Deleted'),
          ...errors({ ...AUTH_ERRORS, 403: 'forbidden', 404: 'not_found' }),
        },
      },
    },
    async (
      req: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string> }>,
      reply: FastifyReply,
    ) => {
      try {
        const principal = await principalOf(core, req, 'optional');
        await core.files.delete(req.params.id, { principal, deleteKey: req.query.key ?? null });
        core.telemetry.event('delete', { dialect: 'pixeldrain' });
        logDelete(req.log, 'pixeldrain', req.params.id, principal);
        return reply.type('application/json; charset=utf-8').send(
          JSON.stringify({
            success: true,
            value: 'ok',
            message: 'The requested action was successfully performed',
          }),
        );
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}
