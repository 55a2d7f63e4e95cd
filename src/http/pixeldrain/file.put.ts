import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { acceptBody, closeAfterResponse } from '../common/early-reject.js';
import { principalOf } from './auth.js';
import { sendPdError } from './errors.js';
import { fileInfo } from './file-info.js';
import { declaredLength, failUpload } from './upload.js';

/**
 * PUT /api/file/{name}: the raw body is the file (curl -T, ShareX, the web UI). Everything that
 * needs no body (content type, credentials, declared size, name) is checked before one byte is read.
 */
export function registerFilePut(app: FastifyInstance, core: Core): void {
  const handler = async (
    req: FastifyRequest<{ Params: { name?: string } }>,
    reply: FastifyReply,
  ) => {
    try {
      const type = req.headers['content-type'] ?? '';
      if (/^\s*multipart\//i.test(type)) {
        closeAfterResponse(req.raw, reply.raw);
        return sendPdError(reply, {
          status: 400,
          value: 'invalid_content_type',
          message:
            'Multipart form data is not supported on this endpoint, send the file as the raw request body',
        });
      }
      const uploader = await principalOf(core, req, 'optional');
      const name = core.files.checkUploadAllowed(
        uploader,
        declaredLength(req),
        req.params.name ?? '',
      );
      acceptBody(req.raw, reply.raw);
      const { file, deleteKey } = await core.files.upload({ body: req.raw, name, uploader });
      const body = {
        ...fileInfo(file, core.files.canEdit(file, uploader)),
        ...(deleteKey ? { deleteKey } : {}),
      };
      return reply.code(201).type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (err) {
      return failUpload(req, reply, err);
    }
  };
  app.put('/file/:name', handler);
  // PUT /api/file/ with nothing after the slash: no name was given.
  app.put('/file/', (req, reply) =>
    failUpload(
      req,
      reply,
      new CoreError('name_out_of_range', undefined, {
        field: 'name',
        min_len: 1,
        max_len: 255,
        len: 0,
      }),
    ),
  );
}
