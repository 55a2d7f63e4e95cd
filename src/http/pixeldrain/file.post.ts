import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import { CoreError } from '../../core/errors.js';
import type { StagedUpload, UploadInput, UploadResult } from '../../core/files.js';
import type { Core } from '../../core/index.js';
import { baseName } from '../../core/names.js';
import { principalOf } from './auth.js';
import { declaredLength, failUpload } from './upload.js';
import { readForm } from '../common/form.js';
import { readMultipart } from '../common/multipart.js';
import { FORM_MAX_BYTES, sendJson } from './respond.js';
import {
  AUTH_ERRORS,
  AUTH_OPTIONAL,
  errors,
  json,
  TAGS,
  UPLOAD_FORM,
  UPLOAD_QUERY,
} from './schemas.js';

/** Room for the multipart framing and small fields around the file part. */
const FORM_OVERHEAD = 1024 * 1024;

function truthy(v: unknown): boolean {
  return typeof v === 'string' && ['true', '1', 'yes', 'on'].includes(v.toLowerCase());
}

/**
 * POST /api/file: multipart form with optional `name` and the `file` part (put last). Fields that
 * precede the file are validated before the file's bytes are read; the file streams straight to
 * the blob store.
 */
export function registerFilePost(app: FastifyInstance, core: Core): void {
  // `/file/` too (pixeldrain-reloaded's uploader posts there): it is not a rename of file ''.
  for (const url of ['/file', '/file/']) registerAt(app, core, url);
}

function registerAt(app: FastifyInstance, core: Core, url: string): void {
  app.post(
    url,
    {
      schema: {
        summary: 'Upload a file (multipart form)',
        description:
          'Multipart form with optional `name` and the `file` part last; fields before the file are checked before its bytes are read. `grab_file=<id>` (multipart or urlencoded) copies an existing file instead.',
        tags: [TAGS.files],
        security: AUTH_OPTIONAL,
        querystring: UPLOAD_QUERY,
        body: UPLOAD_FORM,
        response: {
          201: json('NewFile', 'Exactly {"success":true,"id":"…"}, after deleteKey if anonymous'),
          ...errors({
            400: 'error_reading_input, user_out_of_space, too_many_files',
            ...AUTH_ERRORS,
            404: 'not_found (grab_file)',
            413: 'file_too_large',
            429: 'ip_rate_limit_reached (anonymous uploads of this address for today; Retry-After)',
            422: 'no_file, string_out_of_range, name_contains_illegal_character',
            500: 'writing, internal',
          }),
        },
      },
    },
    async (req: FastifyRequest<{ Querystring: Record<string, string> }>, reply: FastifyReply) => {
      try {
        const uploader = await principalOf(core, req, 'optional');
        const declared = declaredLength(req);
        const declaredFile = declared === null ? null : Math.max(0, declared - FORM_OVERHEAD);
        core.files.checkUploadAllowed(uploader, declaredFile, 'file');
        await core.files.checkUploadQuota(uploader, declaredFile, {
          ip: req.ip,
          anonymous: truthy(req.query.anonymous),
        });
        if (!/^\s*multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
          // A urlencoded form can only be a grab (copy an existing file into the account).
          const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
          if (!fields.grab_file) throw new CoreError('no_file');
          const copy = await core.files.grab(fields.grab_file, uploader);
          core.telemetry.event('upload', { dialect: 'pixeldrain' });
          return sendJson(reply, { success: true, id: copy.id }, 201);
        }
        const { file, deleteKey } = await receiveForm(core, req, reply, uploader);
        core.telemetry.event('upload', { dialect: 'pixeldrain' });
        // Exactly {"success":true,"id":"..."}: clients regex the raw body (spec 1.4). For an anonymous
        // upload the delete key goes *before* `success`, so `"success":true,"id":"(.*)"` still matches.
        const body = deleteKey
          ? { deleteKey, success: true, id: file.id }
          : { success: true, id: file.id };
        return reply.code(201).type('application/json; charset=utf-8').send(JSON.stringify(body));
      } catch (err) {
        return failUpload(req, reply, err);
      }
    },
  );
}

async function receiveForm(
  core: Core,
  req: FastifyRequest<{ Querystring: Record<string, string> }>,
  reply: FastifyReply,
  uploader: Principal | null,
): Promise<UploadResult> {
  const fields: Record<string, string> = {};
  // The file part is staged as it arrives and published only once the whole body has been read:
  // a body cut off or malformed after the part leaves no file behind.
  let upload: { staged: Promise<StagedUpload>; input: Omit<UploadInput, 'body'> } | null = null;
  // Copy an existing file instead of uploading one (a file part after it is ignored); done once
  // the whole body has been read too.
  let grab: string | null = null;
  try {
    await readMultipart(req.raw, reply.raw, {
      limits: { files: 1, fields: 50, parts: 60, fieldSize: 64 * 1024 },
      onField: (key, value) => {
        fields[key] = value;
        if (key === 'grab_file' && !upload && grab === null) grab = value;
      },
      onFile: ({ field, stream, filename }) => {
        if (field !== 'file' || upload || grab !== null) return null;
        const input = {
          name: fields.name !== undefined ? fields.name : baseName(filename ?? '') || 'file',
          uploader,
          anonymous: truthy(fields.anonymous) || truthy(req.query.anonymous),
          rejectEmpty: true,
          uploaderIp: req.ip,
        };
        core.files.checkUploadAllowed(uploader, null, input.name);
        upload = { staged: core.files.stage(stream), input };
        return upload.staged;
      },
    });
  } catch (err) {
    const pending = upload as { staged: Promise<StagedUpload> } | null;
    const staged = await pending?.staged.catch(() => null);
    await staged?.discard().catch(() => {});
    throw err;
  }
  const ready = upload as {
    staged: Promise<StagedUpload>;
    input: Omit<UploadInput, 'body'>;
  } | null;
  if (ready) return core.files.publishStaged(await ready.staged, ready.input);
  if (grab !== null) return { file: await core.files.grab(grab, uploader) };
  throw new CoreError('no_file');
}
