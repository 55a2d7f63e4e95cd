import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { CoreError } from '../../core/errors.js';
import { downloadFile } from '../pixeldrain/file.get.js';
import { sendPdError, toPdError } from '../pixeldrain/errors.js';
import { fileExtension } from './image.js';
import { FILE_SCHEMA } from './schemas.js';

const FILE_PATH = /^([A-Za-z0-9]{1,64})\.([A-Za-z0-9]{1,10})$/;

/**
 * GET|HEAD /i/{id}.{ext}: `image.url` of a Chevereto upload. Chevereto's URLs end in the file's
 * extension (`/images/2014/06/04/example.png`) and clients and embeds (ShareX, forums' [img])
 * rely on it; the bytes are the download endpoint's own (`downloadFile`: same rules, headers,
 * ranges and counting). Only the file's own extension is served: any other is 404, so the
 * extension in a URL can never stand for another Content-Type.
 */
export function registerFile(app: FastifyInstance, core: Core): void {
  app.get(
    '/i/:file',
    { schema: FILE_SCHEMA },
    async (
      req: FastifyRequest<{ Params: { file: string }; Querystring: Record<string, string> }>,
      reply: FastifyReply,
    ) => {
      const m = FILE_PATH.exec(req.params.file);
      const notFound = () => sendPdError(reply, toPdError(new CoreError('not_found')));
      if (!m) return notFound();
      let file;
      try {
        file = await core.files.get(m[1]!);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
      if (m[2] !== fileExtension(file)) return notFound();
      return downloadFile(core, req, reply, file);
    },
  );
}
