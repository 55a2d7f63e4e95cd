import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import { CoreError } from '../../core/errors.js';
import type { StagedUpload, UploadInput, UploadResult } from '../../core/files.js';
import type { Core } from '../../core/index.js';
import { baseName } from '../../core/names.js';
import { principalOf } from './auth.js';
import { declaredLength, failUpload, newFileBody } from './upload.js';
import { uploadFromUrl, type UrlUploadRequest } from './file.post-url.js';
import { readForm } from '../common/form.js';
import { readMultipart } from '../common/multipart.js';
import { FORM_MAX_BYTES, sendJson } from './respond.js';
import { AUTH_ERRORS, AUTH_OPTIONAL, errors, json, object, str, TAGS } from './schemas.js';
import { logUpload } from '../common/events.js';

/** POST /api/file: the multipart upload (or a grab). */
const URL_FIELD =
  'Fetch the file from this http(s) URL instead (when the server allows URL uploads: STOWAGE_URL_UPLOADS); with `Accept: application/x-ndjson`, progress lines while fetching';

/** `POST /api/file` with `url=` and `Accept: application/x-ndjson`: the progress stream. */
const URL_UPLOAD_PROGRESS = {
  description:
    'With `url=` and `Accept: application/x-ndjson`: answered at once; one JSON object a line: `{"received":N,"total":M|null}` (at most 4 a second) while the server fetches, then a last line that is exactly the 201 body (`{"success":true,"id":"…"}`, deleteKey first if anonymous) or the error object (`{"success":false,"value":"…","message":"…"}`, values as in the error statuses)',
  content: {
    'application/x-ndjson': {
      schema: {
        type: 'object',
        properties: {
          received: { type: 'integer', description: 'Bytes fetched so far' },
          total: {
            type: 'integer',
            nullable: true,
            description: 'Content-Length of the remote, null if unknown',
          },
          success: { type: 'boolean', description: 'Last line only' },
          id: { type: 'string', description: 'Last line only: the new file' },
          deleteKey: { type: 'string', description: 'Last line only, anonymous uploads' },
          value: { type: 'string', description: 'Last line only, on failure' },
          message: { type: 'string', description: 'Last line only, on failure' },
        },
      },
    },
  },
};

const UPLOAD_FORM = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: {
          name: str('File name, 1 to 255 characters; default: the file part’s filename'),
          anonymous: str('true: do not link the file to the caller (legacy)'),
          grab_file: str('Copy this existing file into the caller’s account instead'),
          url: str(URL_FIELD),
          file: { type: 'string', format: 'binary', description: 'The file: send it last' },
        },
      },
    },
    'application/x-www-form-urlencoded': {
      schema: object({
        grab_file: str('Copy this existing file into the caller’s account'),
        url: str(URL_FIELD),
        name: str('With url: the file name; default: the remote’s name'),
        anonymous: str('true: do not link the file to the caller (legacy)'),
      }),
    },
  },
};

const UPLOAD_QUERY = {
  type: 'object',
  properties: { anonymous: str('true: do not link the file to the caller (legacy)') },
};

/** Room for the multipart framing and small fields around the file part. */
const FORM_OVERHEAD = 1024 * 1024;

/** A `url=` upload's parameters from the form (`name`, `anonymous` as for a file part). */
function urlRequest(
  req: FastifyRequest<{ Querystring: Record<string, string> }>,
  fields: Record<string, string>,
  uploader: Principal | null,
): UrlUploadRequest {
  return {
    url: fields.url ?? '',
    name: fields.name,
    uploader,
    anonymous: truthy(fields.anonymous) || truthy(req.query.anonymous),
  };
}

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
        summary: 'Upload a file (multipart form), or from a URL',
        description:
          'Multipart form with optional `name` and the `file` part last; fields before the file are checked before its bytes are read. `grab_file=<id>` (multipart or urlencoded) copies an existing file instead. `url=<http(s) URL>` (multipart or urlencoded, optional `name`) makes the server fetch the file, when URL uploads are on (STOWAGE_URL_UPLOADS): private and loopback addresses refused, the size limit and STOWAGE_URL_UPLOADS_TIMEOUT_MS apply; with `Accept: application/x-ndjson` the answer is 200 at once and streams progress, then the result (see 200).',
        tags: [TAGS.files],
        security: AUTH_OPTIONAL,
        querystring: UPLOAD_QUERY,
        body: UPLOAD_FORM,
        response: {
          200: URL_UPLOAD_PROGRESS,
          201: json('NewFile', 'Exactly {"success":true,"id":"…"}, after deleteKey if anonymous'),
          ...errors({
            400: 'error_reading_input, user_out_of_space, too_many_files; url: invalid_url (not an absolute http(s) URL, or credentials in it), forbidden_address (the host is or resolves to a private, loopback, link-local or reserved address)',
            ...AUTH_ERRORS,
            403: 'url: url_uploads_disabled (URL uploads are off on this server)',
            404: 'not_found (grab_file)',
            413: 'file_too_large (also a URL whose file is over the limit)',
            429: 'ip_rate_limit_reached (anonymous uploads of this address for today; Retry-After)',
            422: 'no_file, string_out_of_range, name_contains_illegal_character',
            500: 'writing, internal',
            502: 'url: remote_unreachable (no DNS answer, connection failed), remote_http_status (the URL answered with an error status), remote_too_many_redirects (more than 3)',
            504: 'url: remote_timeout (the fetch took longer than STOWAGE_URL_UPLOADS_TIMEOUT_MS)',
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
          if (!fields.grab_file && fields.url !== undefined) {
            return await uploadFromUrl(core, req, reply, urlRequest(req, fields, uploader));
          }
          if (!fields.grab_file) throw new CoreError('no_file');
          const copy = await core.files.grab(fields.grab_file, uploader);
          core.telemetry.event('upload', { dialect: 'pixeldrain' });
          logUpload(req.log, 'pixeldrain', copy);
          return sendJson(reply, { success: true, id: copy.id }, 201);
        }
        const received = await receiveForm(core, req, reply, uploader);
        if ('url' in received) return await uploadFromUrl(core, req, reply, received.url);
        core.telemetry.event('upload', { dialect: 'pixeldrain' });
        logUpload(req.log, 'pixeldrain', received.file);
        return reply.code(201).type('application/json; charset=utf-8').send(newFileBody(received));
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
): Promise<UploadResult | { url: UrlUploadRequest }> {
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
  if (fields.url !== undefined) return { url: urlRequest(req, fields, uploader) };
  throw new CoreError('no_file');
}
