/**
 * The Chevereto dialect's JSON Schemas: a documented contract for the OpenAPI document, never a
 * validator or serializer (handlers send pre-serialised strings, see src/http/openapi.ts).
 */
import {
  DOWNLOAD_HEADERS,
  DOWNLOAD_QUERY,
  DOWNLOAD_RESPONSES,
} from '../pixeldrain/download.schemas.js';
import { binary, empty, errors, int, str } from '../pixeldrain/schemas.js';

type Schema = Record<string, unknown>;

export const CHEVERETO_TAG = 'Chevereto';

const nullable = (s: Schema): Schema => ({ ...s, nullable: true });

const COMPANION = {
  type: 'object',
  description: 'A companion JPEG (all fields null when there is none)',
  properties: {
    filename: nullable(str('e.g. sunset.th.jpeg')),
    name: nullable(str('e.g. sunset.th')),
    mime: nullable(str('image/jpeg')),
    extension: nullable(str('jpeg')),
    url: nullable(str('/image/{id}/thumb.jpg, medium.jpg or frame.jpg')),
    size: int('Bytes'),
    width: int('Pixels'),
    height: int('Pixels'),
  },
};

const IMAGE = {
  type: 'object',
  description:
    'The uploaded file, field for field as Chevereto V4 (spec 2.6); `id_encoded` is our file id',
  properties: {
    name: str('File name without extension'),
    extension: str('Extension'),
    size: int('Bytes'),
    width: int('Pixels (0 when unknown)'),
    height: int('Pixels (0 when unknown)'),
    date: str('Upload time, Y-m-d H:i:s (UTC)'),
    date_gmt: str('Upload time, Y-m-d H:i:s UTC'),
    title: str('Title (default: from the file name)'),
    tags: { type: 'array', items: { type: 'object' } },
    description: nullable(str('Description')),
    nsfw: int('0 or 1'),
    md5: nullable(str('MD5 of the stored bytes')),
    original_filename: str('Name as sent'),
    category_id: nullable(str('As sent')),
    expiration_date_gmt: nullable(str('Y-m-d H:i:s UTC, null: never')),
    is_animated: int('0 or 1'),
    duration: int('Seconds (video)'),
    type: str('image, video (or file with STOWAGE_CHEVERETO_ANY_FILE)'),
    id_encoded: str('File id'),
    filename: str('File name'),
    mime: str('Media type'),
    url: str('The file itself, ending in its extension: /i/{id}.{ext}'),
    size_formatted: str('e.g. 17.4 KB'),
    image: { type: 'object' },
    thumb: COMPANION,
    medium: COMPANION,
    frame: COMPANION,
    url_viewer: str('The viewer page: /image/{id}'),
    path_viewer: str('/image/{id}'),
    url_short: str('/image/{id}'),
    display_url: str('Medium, else thumb (over 200 KB), else the file'),
    display_width: int('Pixels'),
    display_height: int('Pixels'),
    delete_url: str('GET deletes the file at once: /image/{id}/delete/{secret}'),
  },
};

const SUCCESS = {
  type: 'object',
  properties: {
    status_code: { type: 'integer', enum: [200] },
    success: {
      type: 'object',
      properties: { message: { type: 'string', enum: ['file uploaded'] }, code: int('200') },
    },
    image: IMAGE,
    status: int('imgBB shape only (a parameter named image was sent): 200'),
    data: { ...IMAGE, description: 'imgBB shape only: the image object plus `id`' },
    status_txt: { type: 'string', enum: ['OK'] },
  },
};

const ERROR = {
  type: 'object',
  description: 'Every error of /api/1/upload with format=json (HTTP 400)',
  properties: {
    status_code: { type: 'integer', enum: [400] },
    error: {
      type: 'object',
      properties: {
        message: str('e.g. Invalid API key.'),
        code: int(
          '100 key, 110 version, 120 action or base64 or expiration, 130 source, 401 denied, 403 URL uploads off, 400 size, 612 type, 622 URL',
        ),
      },
    },
    status_txt: { type: 'string', enum: ['Bad Request'] },
  },
};

const PARAMS = {
  source: str('A file part, base64 (data: URI prefix tolerated) or an http(s) URL'),
  image: str('Alias of source; switches the reply to the imgBB shape (status, data)'),
  key: str('API key (X-API-Key header wins), or the configured guest key'),
  format: str('json (default), txt (the URL as text/plain) or redirect (302 to the viewer)', {
    enum: ['json', 'txt', 'redirect'],
  }),
  title: str('Up to 100 characters (alias: name)'),
  name: str('Alias of title'),
  description: str('Description'),
  tags: str('Comma-separated (user keys only)'),
  album_id: str('One of your list ids: the file is added to it (others are ignored)'),
  category_id: str('Stored as is'),
  width: str('Store the image resized to this width (not animated ones, never enlarged)'),
  expiration: str('Seconds or ISO 8601 duration (PT5M…P1Y), clamped to 5 minutes … 1 year'),
  nsfw: str('1: adult content'),
};

const FORM = { type: 'object', properties: PARAMS };

export const UPLOAD_SCHEMA = {
  summary: 'Upload an image or video (Chevereto API v1)',
  description:
    'Chevereto’s `/api/1/upload` (also with a trailing slash). Parameters merge from the query and the body (multipart or urlencoded; urlencoded bodies up to 4/3 of the size limit for base64). Other versions answer code 110, other actions 120. Errors: HTTP 400 with Chevereto’s envelope, or the bare message with HTTP 200 for format=txt|redirect.',
  tags: [CHEVERETO_TAG],
  params: {
    type: 'object',
    properties: { version: str('API version: 1'), action: str('upload') },
    required: ['version', 'action'],
  },
  querystring: FORM,
  headers: { type: 'object', properties: { 'x-api-key': str('API key') } },
  body: {
    content: {
      'application/x-www-form-urlencoded': { schema: FORM },
      'multipart/form-data': {
        schema: {
          type: 'object',
          properties: {
            ...PARAMS,
            source: { type: 'string', format: 'binary', description: 'The file (or base64/URL)' },
          },
        },
      },
    },
  },
  response: {
    200: {
      description: 'Uploaded (JSON); format=txt: the file URL as text; errors with txt/redirect',
      content: {
        'application/json': { schema: SUCCESS },
        'text/plain': { schema: { type: 'string' } },
      },
    },
    302: empty('format=redirect: Location is the viewer URL'),
    400: { description: 'Error', content: { 'application/json': { schema: ERROR } } },
  },
};

const ID = { type: 'object', properties: { id: str('File id') }, required: ['id'] };
const HTML = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

export const VIEWER_SCHEMA = {
  summary: 'Viewer page of an upload',
  description:
    '`url_viewer` / `url_short`: a small HTML page showing the image or video. `?deleted` after a delete says so.',
  tags: [CHEVERETO_TAG],
  params: ID,
  querystring: { type: 'object', properties: { deleted: str('Present after a delete') } },
  response: { 200: HTML('The page'), 404: HTML('No such file (or expired)') },
};

export const DERIVED_SCHEMA = {
  summary: 'Thumb, medium or frame JPEG of an upload',
  description:
    'The companions of the Chevereto reply: `thumb.jpg` (a square), `medium.jpg` (for wide images), `frame.jpg` (videos). ETag and Cache-Control (a day, or until the file expires).',
  tags: [CHEVERETO_TAG],
  params: {
    type: 'object',
    properties: {
      id: str('File id'),
      variant: str('thumb.jpg, medium.jpg or frame.jpg', {
        enum: ['thumb.jpg', 'medium.jpg', 'frame.jpg'],
      }),
    },
    required: ['id', 'variant'],
  },
  response: {
    200: binary('image/jpeg', 'The JPEG'),
    304: empty('Not modified (If-None-Match)'),
    404: {
      description: 'None for this file',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  },
};

export const DELETE_SCHEMA = {
  summary: 'Delete an upload by its delete_url',
  description:
    'GET deletes at once (as Chevereto: no confirmation), then redirects to the viewer with `?deleted`. Wrong secret or unknown file: 404.',
  tags: [CHEVERETO_TAG],
  params: {
    type: 'object',
    properties: { id: str('File id'), secret: str('The delete secret') },
    required: ['id', 'secret'],
  },
  response: {
    302: empty('Deleted: Location /image/{id}?deleted'),
    404: HTML('Not valid'),
  },
};

/** GET: the same parameters in the query only (base64 sources need POST). */
export const UPLOAD_GET_SCHEMA = (() => {
  const { body: _body, ...rest } = UPLOAD_SCHEMA;
  return { ...rest, summary: 'Upload from a URL (Chevereto API v1, GET)' };
})();

/** GET /i/{id}.{ext}: `image.url`, the file's bytes at a URL ending in its extension. */
export const FILE_SCHEMA = {
  summary: 'The uploaded file at a URL with its extension (image.url)',
  description:
    'The bytes exactly as `GET /api/file/{id}` serves them (the file’s own Content-Type, ranges, conditionals, `?download`, the download rules and their pixeldrain-shaped errors, counting), at a path ending in the file’s extension as Chevereto’s `image.url` does: the name’s extension when it is 1-10 letters or digits (lowercased), else the detected type’s, else `bin`. Another extension is 404 `not_found`; the extension never changes the Content-Type.',
  tags: [CHEVERETO_TAG],
  params: {
    type: 'object',
    properties: { file: str('{id}.{ext}, e.g. aBcD1234.png') },
    required: ['file'],
  },
  querystring: DOWNLOAD_QUERY,
  headers: DOWNLOAD_HEADERS,
  response: {
    200: binary('application/octet-stream', 'The file (its own Content-Type)'),
    206: DOWNLOAD_RESPONSES[206],
    304: DOWNLOAD_RESPONSES[304],
    ...errors({
      403: 'The download rules’ refusals, as GET /api/file/{id}',
      404: 'not_found (no such file, or not its extension)',
      416: 'range_not_satisfiable, with Content-Range: bytes */size',
      424: 'recpatcha_failed (recaptcha_response invalid, expired or used already; sic)',
      451: 'unavailable_for_legal_reasons (blocked or infected)',
    }),
  },
};
