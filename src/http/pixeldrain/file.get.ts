import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendFile } from '../common/send-file.js';
import { sendPdError, toPdError, writePdError } from './errors.js';

/** GET|HEAD /api/file/{id}: the bytes, inline unless `?download`, with ranges and conditionals. */
export function registerFileGet(app: FastifyInstance, core: Core): void {
  app.get(
    '/file/:id',
    async (
      req: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string> }>,
      reply: FastifyReply,
    ) => {
      const { id } = req.params;
      if (id.includes(',')) {
        return sendPdError(reply, {
          status: 501,
          value: 'api_not_implemented',
          message: 'Downloading several files as one archive is not implemented yet',
        });
      }
      let file;
      try {
        file = await core.files.get(id);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
      reply.hijack();
      try {
        await sendFile(req.raw, reply.raw, file, {
          disposition: 'download' in req.query ? 'attachment' : 'inline',
          readBytes: (range) => core.files.readBytes(file, range),
          openStream: (range) => core.files.openStream(file, range),
          openReader: () => core.files.openReader(file),
          onSent: (bytes, whole) => core.files.recordTransfer(file.id, bytes, whole),
        });
      } catch (err) {
        req.log.error({ err }, 'download failed');
        writePdError(reply.raw, toPdError(err));
      }
    },
  );
}
