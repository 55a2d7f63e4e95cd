import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { acceptBody, closeAfterResponse } from '../common/early-reject.js';
import { principalOf } from './auth.js';
import { sendPdError } from './errors.js';
import { fileInfo } from './file-info.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, binary, errors, idParam, json, TAGS } from './schemas.js';
import { declaredLength, failUpload } from './upload.js';
import { logUpload } from '../common/events.js';

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
      await core.files.checkUploadQuota(uploader, declaredLength(req), { ip: req.ip });
      acceptBody(req.raw, reply.raw);
      const { file, deleteKey } = await core.files.upload({
        body: req.raw,
        name,
        uploader,
        uploaderIp: req.ip,
      });
      core.telemetry.event('upload', { dialect: 'pixeldrain' });
      logUpload(req.log, 'pixeldrain', file);
      const body = {
        ...fileInfo(
          file,
          core.files.canEdit(file, uploader),
          undefined,
          core.limits.inactivity.deleteAfter(file),
        ),
        ...(deleteKey ? { deleteKey } : {}),
      };
      return reply.code(201).type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (err) {
      return failUpload(req, reply, err);
    }
  };
  app.put(
    '/file/:name',
    {
      schema: {
        summary: 'Upload a file (raw body)',
        description:
          'The body is the file (curl -T, ShareX, the web UI), any Content-Type but multipart. Credentials, declared size and name are checked before a byte is read.',
        tags: [TAGS.files],
        security: AUTH_OPTIONAL,
        params: idParam('File name, URL-encoded, 1 to 255 characters', 'name'),
        body: binary('application/octet-stream', 'The file'),
        response: {
          201: json('UploadedFile', 'Stored: FileInfo, and deleteKey for an anonymous upload'),
          ...errors({
            400: 'invalid_content_type (multipart body), error_reading_input, user_out_of_space, too_many_files',
            ...AUTH_ERRORS,
            413: 'file_too_large',
            429: 'ip_rate_limit_reached (anonymous uploads of this address for today; Retry-After)',
            422: 'string_out_of_range, name_contains_illegal_character',
            500: 'writing, internal',
          }),
        },
      },
    },
    handler,
  );
  // PUT /api/file/ with nothing after the slash: no name was given.
  app.put(
    '/file/',
    {
      schema: {
        summary: 'Upload without a name (refused)',
        description: 'PUT /api/file/ with nothing after the slash: no name was given.',
        tags: [TAGS.files],
        response: errors({ 422: 'string_out_of_range (extra.field "name", len 0)' }),
      },
    },
    (req, reply) =>
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
