import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { safeFileName } from '../../core/names.js';
import { principalOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, binary, errors, idParam, TAGS } from './schemas.js';
import { replyWithZip } from './zip-files.js';
import { admitZip } from './download-rules.js';

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
          ...errors({
            ...AUTH_ERRORS,
            403: 'file_rate_limited_captcha_required (a file of the list is hotlinked), ip_download_limited_captcha_required, ip_transfer_limited_captcha_required, hotlink_detected, download_limit_exceeded, transfer_limit_exceeded',
            404: 'not_found',
            424: 'recpatcha_failed',
          }),
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
      const files = view.entries.map((e) => e.file);
      let admitted;
      try {
        admitted = await admitZip(core, req, files);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
      if (!admitted.ok) return sendPdError(reply, admitted.error);
      await replyWithZip(
        core,
        req,
        reply,
        safeFileName(view.list.title, '.zip', 'list'),
        files,
        admitted.admissions,
      );
    },
  );
}
