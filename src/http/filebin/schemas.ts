/**
 * The FileBin dialect's JSON Schemas: a documented contract for the OpenAPI document, never a
 * validator or serializer (handlers send pre-serialised, PHP-escaped JSON).
 */
import { binary, form, int, str } from '../pixeldrain/schemas.js';

type Schema = Record<string, unknown>;

export const FILEBIN_TAG = 'FileBin';

const jsonBody = (schema: Schema, description: string): Schema => ({
  description,
  content: { 'application/json': { schema } },
});

const html = (description: string): Schema => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

const SUCCESS = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['success'] },
    data: {
      description:
        'Endpoint specific: get_config {upload_max_size, max_files_per_request, max_input_vars, request_max_size}; upload {ids, urls}; history {items, multipaste_items, total_size}; delete {errors, deleted, total_count, deleted_count}; create_multipaste {url_id, url}; create_apikey {new_key}; apikeys {apikeys}; delete_apikey {deleted_keys}',
    },
  },
  required: ['status', 'data'],
};

const ERROR = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['error'] },
    error_id: str('e.g. api/not-authenticated, file/no-file, file/upload-verify'),
    message: str('FileBin’s exact message'),
    data: {
      description: 'Details for some errors (upload-verify, verify-failed, invalid-form-field)',
    },
  },
  required: ['status', 'error_id', 'message'],
};

const API_FORM = form({
  apikey: str('API key (POST field only; trimmed). Any of our keys works, FileBin-format or UUID'),
  'file[…]': { type: 'string', format: 'binary', description: 'upload: any number of file parts' },
  'minimum-id-length': int('upload, create_multipaste: exact id length (2–64)'),
  'ids[…]': str('delete, create_multipaste: file or multipaste ids'),
  access_level: str('create_apikey: basic, apikey or full'),
  comment: str('create_apikey: up to 255 characters'),
  username: str('create_apikey: instead of apikey, with password'),
  password: str('create_apikey: instead of apikey, with username'),
  delete_key: str('delete_apikey: the key or its id'),
});

const API_RESPONSES = {
  200: jsonBody(SUCCESS, 'Success (application/json; charset=UTF-8, slashes escaped as in PHP)'),
  400: jsonBody(ERROR, 'Every error, with HTTP 400'),
};

const VERSION_PARAM = str(
  'API version: v2, v2.0 … v2.2.0 (v1, v3, > 2.2.0: version-not-supported)',
  {
    example: 'v2.2.0',
  },
);

export const API_SCHEMA = {
  summary: 'FileBin API v2: {namespace}/{method}',
  description:
    'Bluewind FileBin’s API (file/get_config, file/upload, file/history, file/delete, file/create_multipaste, user/create_apikey, user/apikeys, user/delete_apikey). Form posts (multipart or urlencoded, PHP-style arrays); GET works too but the API key is read from the POST body only.',
  tags: [FILEBIN_TAG],
  params: {
    type: 'object',
    properties: { version: VERSION_PARAM, '*': str('{namespace}/{method}[/ignored…]') },
  },
  body: API_FORM,
  response: API_RESPONSES,
};

export const API_VERSION_ONLY_SCHEMA = {
  summary: 'FileBin API without an endpoint (api/invalid-endpoint)',
  tags: [FILEBIN_TAG],
  params: { type: 'object', properties: { version: VERSION_PARAM }, required: ['version'] },
  response: API_RESPONSES,
};

const ID = {
  type: 'object',
  properties: { id: str('File id, or m-{id} for a multipaste') },
  required: ['id'],
};

export const PAGE_RAW_SCHEMA = {
  summary: 'FileBin: the raw file (a multipaste: its page)',
  tags: [FILEBIN_TAG],
  params: ID,
  response: {
    200: binary('application/octet-stream', 'The bytes with the file’s own type; ranges, ETag'),
    404: html('FileBin - Not Found'),
  },
};

export const PAGE_POST_SCHEMA = {
  summary: 'FileBin: a POST to a page is refused (403), as FileBin does without its CSRF token',
  tags: [FILEBIN_TAG],
  params: ID,
  response: { 403: html('The action you have requested is not allowed.') },
};

export const PAGE_SCHEMA = {
  summary: 'FileBin: the page of a file or multipaste',
  description: 'Text shown with line numbers, images shown, other files served raw.',
  tags: [FILEBIN_TAG],
  params: ID,
  response: { 200: html('The page'), 404: html('FileBin - Not Found') },
};

export const PAGE_ACTION_SCHEMA = {
  summary: 'FileBin: /{id}/plain, /{id}/info, /m-{id}/tar (other words: the page)',
  tags: [FILEBIN_TAG],
  params: {
    type: 'object',
    properties: { id: ID.properties.id, action: str('plain, info, tar, or a lexer name') },
    required: ['id', 'action'],
  },
  response: {
    200: html('info page; plain: the bytes as text/plain; tar: application/x-gzip'),
    404: html('FileBin - Not Found'),
  },
};

export const THUMBNAIL_SCHEMA = {
  summary: 'FileBin: 150×150 JPEG thumbnail of an image',
  tags: [FILEBIN_TAG],
  params: { type: 'object', properties: { id: str('File id') }, required: ['id'] },
  response: {
    200: binary('image/jpeg', 'ETag "<id>-thumb", cached a year'),
    304: { description: 'Not modified (If-None-Match)', content: { 'image/jpeg': { schema: {} } } },
    404: html('Not an image, or no such file'),
  },
};
