import { AUTH_OPTIONAL, errors, idParam, json, TAGS } from '../schemas.js';

const ID = idParam('The upload id (the last segment of the Location the creation answered)');

/** An answer whose facts are in its headers. */
const NO_BODY = (description: string) => ({
  description,
  content: { 'text/plain': { schema: { type: 'string', maxLength: 0 } } },
});

const TUS_NOTE =
  'tus 1.0.0 (https://tus.io/protocols/resumable-upload): the request is handed to @tus/server as is; protocol errors are answered in plain text as tus says, other refusals (credentials, quotas, size) in the pixeldrain JSON error shape.';

/** OpenAPI for the tus routes (hijacked: the schemas document, they do not serialise). */
export const TUS_SCHEMAS = {
  options: {
    summary: 'tus: server capabilities',
    description: `Tus-Version 1.0.0, Tus-Extension creation,creation-with-upload,termination,expiration, Tus-Max-Size (the server's maximum file size). ${TUS_NOTE}`,
    tags: [TAGS.files],
    response: { 204: NO_BODY('Capabilities in the headers') },
  },
  create: {
    summary: 'tus: create a resumable upload',
    description: `Headers: Tus-Resumable: 1.0.0, Upload-Length (required; Upload-Defer-Length is not supported), Upload-Metadata with \`filename\` (required, checked like PUT /api/file's name) and optionally \`filetype\`. With Content-Type application/offset+octet-stream the body is the first bytes (creation-with-upload). Admission: credentials (anonymous only when anonymous uploads are allowed), the size limit, the storage quota counting the declared bytes of unfinished uploads, and at most STOWAGE_TUS_MAX_PENDING unfinished uploads per account (per address without one). Answers 201 with Location /api/tus/{id} and Upload-Expires. ${TUS_NOTE}`,
    tags: [TAGS.files],
    security: AUTH_OPTIONAL,
    response: {
      201: {
        description: 'Created: Location, Upload-Offset (with a body), Upload-Expires',
        type: 'null',
      },
      ...errors({
        400: 'user_out_of_space, file_limit_reached',
        401: 'authentication_required, authentication_failed',
        413: 'file_too_large',
        422: 'string_out_of_range, name_contains_illegal_character (filename)',
        429: 'too_many_pending_uploads, anonymous_upload_limit',
      }),
    },
  },
  head: {
    summary: 'tus: the offset of an upload',
    description: `Upload-Offset, Upload-Length, Upload-Expires (unfinished); Stowage-File-Id once it is a file. Only its owner's credentials see an account's upload (others: 404); an anonymous upload is a capability by its URL. ${TUS_NOTE}`,
    tags: [TAGS.files],
    security: AUTH_OPTIONAL,
    params: ID,
    response: {
      200: NO_BODY('Offsets in the headers'),
      ...errors({
        401: 'authentication_failed',
        404: 'not_found (no such upload, not yours, expired)',
      }),
    },
  },
  patch: {
    summary: 'tus: send bytes at an offset',
    description: `Content-Type application/offset+octet-stream (else 415), Upload-Offset equal to the upload's offset (else 409). 204 with the new Upload-Offset. The PATCH that completes the upload publishes it as a file (the checks of PUT /api/file apply: SHA-256, dedup, blocked content, quotas, media, scans) and its 204 carries Stowage-File-Id (and Stowage-Delete-Key for an anonymous upload). ${TUS_NOTE}`,
    tags: [TAGS.files],
    security: AUTH_OPTIONAL,
    params: ID,
    response: {
      204: {
        description: 'Written: Upload-Offset, Upload-Expires or Stowage-File-Id',
        type: 'null',
      },
      409: { description: "Upload-Offset is not the upload's offset (tus)", type: 'null' },
      415: {
        description: 'Content-Type is not application/offset+octet-stream (tus)',
        type: 'null',
      },
      ...errors({
        400: 'user_out_of_space (at publication)',
        403: 'content_blocked',
        404: 'not_found',
      }),
    },
  },
  terminate: {
    summary: 'tus: terminate an upload',
    description: `Removes an unfinished upload's bytes (termination extension). A finished upload's record goes, its file stays. ${TUS_NOTE}`,
    tags: [TAGS.files],
    security: AUTH_OPTIONAL,
    params: ID,
    response: { 204: { description: 'Terminated', type: 'null' }, ...errors({ 404: 'not_found' }) },
  },
  status: {
    summary: 'Where a resumable upload is',
    description:
      'Not part of tus: the offset of an upload and, once the last byte arrived, the file it became (for a client whose final answer was lost). A finished upload stays findable until STOWAGE_TUS_EXPIRY after it finished.',
    tags: [TAGS.files],
    security: AUTH_OPTIONAL,
    params: ID,
    response: {
      200: json(
        {
          type: 'object',
          properties: {
            id: { type: 'string' },
            offset: { type: 'integer' },
            length: { type: 'integer' },
            file_id: { type: ['string', 'null'] },
            file_url: { type: ['string', 'null'] },
          },
          required: ['id', 'offset', 'length', 'file_id', 'file_url'],
        },
        'The upload',
      ),
      ...errors({ 404: 'not_found' }),
    },
  },
};
