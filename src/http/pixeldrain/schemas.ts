/**
 * The pixeldrain dialect's JSON Schemas: a documented contract for the OpenAPI document
 * (GET /api/openapi.json), never a validator or a serializer. Handlers read requests and render
 * replies themselves (pre-serialised JSON, field order as pixeldrain's, spec 1.4), and the server
 * compiles these schemas to no-ops (see src/http/openapi.ts). Shared objects are components,
 * added once with addSchema and referenced by `$id`; property order below is the order the
 * handlers emit.
 */

export type Schema = Record<string, unknown>;

export const str = (description: string, more: Schema = {}): Schema => ({
  type: 'string',
  description,
  ...more,
});
export const int = (description: string, more: Schema = {}): Schema => ({
  type: 'integer',
  description,
  ...more,
});
export const bool = (description: string, more: Schema = {}): Schema => ({
  type: 'boolean',
  description,
  ...more,
});
const date = (description: string): Schema => ({
  type: 'string',
  format: 'date-time',
  description,
});
const always = (value: boolean | string): Schema => ({ type: typeof value, enum: [value] });

/** An object whose properties are all present, in this order. */
function object(properties: Record<string, Schema>, more: Schema = {}): Schema {
  return { type: 'object', properties, required: Object.keys(properties), ...more };
}

/** A reference to one of the components below. */
export const ref = (id: ComponentId): Schema => ({ $ref: `${id}#` });

const FILE_ID = 'File id: 8 characters [A-Za-z0-9]';

/** FileInfo (spec 2.1), field for field as file-info.ts renders it. */
const FILE_INFO = {
  success: always(true),
  id: str(FILE_ID, { example: 'jW9E6s4h' }),
  name: str('File name, at most 255 characters'),
  size: int('Size in bytes'),
  views: int('Views'),
  bandwidth_used: int('Bytes served'),
  bandwidth_used_paid: int('Always 0'),
  downloads: int('Complete downloads'),
  date_upload: date('Upload time, RFC 3339 UTC with milliseconds'),
  date_last_view: date('Last view'),
  mime_type: str('Media type detected from the content', {
    example: 'text/plain; charset=utf-8',
  }),
  thumbnail_href: str('Thumbnail path, relative to /api', { example: '/file/jW9E6s4h/thumbnail' }),
  hash_sha256: str('SHA-256 of the content, lowercase hex'),
  delete_after_date: date('Always 0001-01-01T00:00:00Z (no expiry)'),
  delete_after_downloads: int('Always 0'),
  availability: str('Empty: the file can be downloaded'),
  availability_message: str('Empty'),
  abuse_type: str('Empty'),
  abuse_reporter_name: str('Empty'),
  can_edit: bool('The caller owns the file'),
  can_download: bool('Always true'),
  show_ads: bool('Always false'),
  allow_video_player: bool('Always true'),
  download_speed_limit: int('Bytes per second, 0 = none'),
};

const DELETE_KEY = str(
  'Only for an anonymous upload: the key that deletes it (DELETE /api/file/{id}?key=)',
  { format: 'uuid' },
);

const SESSION = {
  auth_key: str('The API key itself (UUID); only in the reply that creates it', {
    format: 'uuid',
  }),
  creation_ip_address: str('Address the key was created from'),
  user_agent: str('User-Agent the key was created with'),
  app_name: str('Name given at creation'),
  creation_time: date('Creation time'),
  last_used_time: date('Last use'),
  id: str('Key id (not in pixeldrain): names the key in DELETE /api/user/session?id='),
};

const ERROR_DETAIL = {
  success: always(false),
  value: str('Stable machine-readable code (clients key on it)', { example: 'not_found' }),
  message: str('Human-readable text (may change)'),
  extra: {
    type: 'object',
    additionalProperties: true,
    description: 'Details, e.g. {"field":"name","min_len":1,"max_len":255,"len":300}',
  },
};

const SUBSCRIPTION = object({
  id: str('Empty'),
  name: always('Stowage'),
  type: str('Empty'),
  file_size_limit: int('Largest upload in bytes'),
  file_expiry_days: int('0: files do not expire'),
  storage_space: int('-1: unlimited'),
  price_per_tb_storage: int('Always 0'),
  price_per_tb_bandwidth: int('Always 0'),
  monthly_transfer_cap: int('-1: unlimited'),
  file_viewer_branding: bool('Always false'),
  filesystem_access: bool('Always false'),
  filesystem_storage_limit: int('Always 0'),
});

const LIST_BODY_FILE = {
  type: 'object',
  properties: {
    id: str(FILE_ID),
    description: str('At most 3000 characters', { nullable: true }),
  },
  required: ['id'],
};

/** Components: added once to the server (addSchema) and referenced with ref(). */
export const PD_COMPONENTS = [
  object(FILE_INFO, { $id: 'FileInfo', description: 'A file (pixeldrain FileInfo)' }),
  object(
    { ...FILE_INFO, deleteKey: DELETE_KEY },
    {
      $id: 'UploadedFile',
      required: Object.keys(FILE_INFO),
      description: 'FileInfo of a PUT upload; an anonymous upload adds `deleteKey` last',
    },
  ),
  object(
    {
      detail_href: str('FileInfo path, relative to /api', { example: '/file/jW9E6s4h/info' }),
      description: str('Description given in the list'),
      ...FILE_INFO,
    },
    {
      $id: 'ListFile',
      description: 'A file of a list: FileInfo after detail_href and description',
    },
  ),
  object(
    {
      success: always(true),
      id: str('List id: 8 characters [A-Za-z0-9]'),
      title: str('Title, at most 300 characters'),
      date_created: date('Creation time'),
      file_count: int('Number of files'),
      can_edit: bool('The caller owns the list'),
      files: { type: 'array', items: ref('ListFile') },
    },
    { $id: 'ListInfo', description: 'A list (album) with its files (pixeldrain ListInfo)' },
  ),
  object(
    {
      id: str('List id'),
      title: str('Title'),
      date_created: date('Creation time'),
      file_count: int('Number of files'),
      files: { type: 'null', description: 'Always null here; GET /api/list/{id} has them' },
      can_edit: always(true),
    },
    { $id: 'ListSummary', description: "One of the caller's lists" },
  ),
  {
    $id: 'ListBody',
    type: 'object',
    description:
      'A list: JSON, read whatever the Content-Type (the web UI sends text/plain). Wrong types are 422 json_parse_failed.',
    properties: {
      title: str('At most 300 characters; default "Pixeldrain List" (PUT: keep the current one)', {
        nullable: true,
      }),
      anonymous: bool('POST only: do not link the list to the caller', { nullable: true }),
      files: {
        type: 'array',
        items: LIST_BODY_FILE,
        maxItems: 10000,
        description: 'The files in order; at least one',
      },
    },
  },
  object(
    {
      id: str('User id'),
      username: str('User name'),
      email: str('E-mail address, empty when none'),
      email_verified: always(false),
      otp_enabled: always(false),
      subscription: SUBSCRIPTION,
      storage_space_used: int('Bytes used by the caller’s files and filesystem file nodes'),
      filesystem_storage_used: int('Bytes used by the caller’s filesystem file nodes'),
      file_count: int('Number of files owned'),
      filesystem_node_count: int('Number of file nodes in the caller’s filesystem'),
      is_admin: bool('Administrator'),
      balance_micro_eur: int('Always 0'),
      hotlinking_enabled: bool(
        'Your files may be hotlinked: the hotlink rule (downloads over views) leaves them alone',
      ),
      monthly_transfer_cap: int('Always 0'),
      monthly_transfer_used: int('Always 0'),
      file_viewer_branding: { type: 'null', description: 'Always null' },
      file_embed_domains: str('Host names that may frame your files’ viewer, space-separated'),
      skip_file_viewer: bool('Links to your files’ viewer (/u/{id}) go straight to the file'),
      affiliate_user_name: str('Empty'),
      checkout_country: str('Empty'),
      checkout_name: str('Empty'),
      checkout_provider: str('Empty'),
    },
    { $id: 'UserInfo', description: 'The caller’s account (pixeldrain UserInfo)' },
  ),
  object(SESSION, {
    $id: 'Session',
    required: Object.keys(SESSION).filter((k) => k !== 'auth_key'),
    description: 'An API key (session); `auth_key` only when it was just created',
  }),
  object(ERROR_DETAIL, {
    $id: 'ErrorDetail',
    required: ['success', 'value', 'message'],
    description: 'One error of a multiple_errors reply',
  }),
  object(
    {
      ...ERROR_DETAIL,
      errors: {
        type: 'array',
        items: ref('ErrorDetail'),
        description: 'Only with value multiple_errors: each error to check',
      },
    },
    {
      $id: 'Error',
      required: ['success', 'value', 'message'],
      description: 'Every error: {"success":false,"value":…,"message":…} (spec 1.3, 1.5)',
    },
  ),
  object(
    {
      success: always(true),
      value: always('ok'),
      message: always('The requested action was successfully performed'),
    },
    { $id: 'Ok', description: 'Generic success of an action' },
  ),
  object(
    {
      success: always(true),
      value: always('created'),
      message: always('The submitted resource was created'),
    },
    { $id: 'Created', description: 'Generic success of a creation' },
  ),
  object(
    { success: always(true), id: str('Id of the new list') },
    { $id: 'NewId', description: 'Exactly {"success":true,"id":"…"}' },
  ),
  object(
    { deleteKey: DELETE_KEY, success: always(true), id: str(FILE_ID) },
    {
      $id: 'NewFile',
      required: ['success', 'id'],
      description:
        'Exactly {"success":true,"id":"…"}: clients regex the raw body. An anonymous upload puts deleteKey first, so `"success":true,"id":"(.*)"` still captures only the id.',
    },
  ),
];

export type ComponentId =
  | 'FileInfo'
  | 'UploadedFile'
  | 'ListFile'
  | 'ListInfo'
  | 'ListSummary'
  | 'ListBody'
  | 'UserInfo'
  | 'Session'
  | 'ErrorDetail'
  | 'Error'
  | 'Ok'
  | 'Created'
  | 'NewId'
  | 'NewFile';

/* ---- Pieces the route files compose their `schema:` from. ---- */

export const TAGS = {
  files: 'files',
  lists: 'lists',
  account: 'account',
  misc: 'misc',
  admin: 'admin',
  filesystem: 'filesystem',
} as const;

/** Path parameter `id` (or another name). */
export function idParam(description: string, name = 'id'): Schema {
  return object({ [name]: str(description) });
}

/** A JSON reply of this component (or inline schema). */
export function json(schema: ComponentId | Schema, description: string): Schema {
  return {
    description,
    content: {
      'application/json': { schema: typeof schema === 'string' ? ref(schema) : schema },
    },
  };
}

/** A reply whose body is not JSON. */
export function binary(contentType: string, description: string): Schema {
  return {
    description,
    content: { [contentType]: { schema: { type: 'string', format: 'binary' } } },
  };
}

/** A reply without a body. */
export function empty(description: string): Schema {
  return { description, type: 'null' };
}

/** Error replies: status → the `value`s this route answers with. */
export function errors(byStatus: Record<number, string>): Record<number, Schema> {
  return Object.fromEntries(
    Object.entries(byStatus).map(([status, values]) => [status, json('Error', values)]),
  );
}

/** A form body, urlencoded or multipart (spec 1.4: both are accepted everywhere). */
export function form(properties: Record<string, Schema>, required: string[] = []): Schema {
  const schema = { type: 'object', properties, required };
  return {
    content: {
      'application/x-www-form-urlencoded': { schema },
      'multipart/form-data': { schema },
    },
  };
}

/** POST /api/file: the multipart upload (or a grab). */
const URL_FIELD =
  'Fetch the file from this http(s) URL instead (when the server allows URL uploads: STOWAGE_URL_UPLOADS); with `Accept: application/x-ndjson`, progress lines while fetching';

/** `POST /api/file` with `url=` and `Accept: application/x-ndjson`: the progress stream. */
export const URL_UPLOAD_PROGRESS = {
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

export const UPLOAD_FORM = {
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

export const UPLOAD_QUERY = {
  type: 'object',
  properties: { anonymous: str('true: do not link the file to the caller (legacy)') },
};

/** GET /api/file/{id}: the bytes. */
export const DOWNLOAD_QUERY = {
  type: 'object',
  properties: {
    download: str('Present (any value, even empty): Content-Disposition attachment'),
    recaptcha_response: str(
      'A solved captcha (base64 ALTCHA payload, from GET /api/misc/captcha/challenge): lifts the hotlink rule and per-IP limits for this client and file for an hour; used once',
    ),
  },
};

export const DOWNLOAD_HEADERS = {
  type: 'object',
  properties: {
    range: str('One byte range, e.g. bytes=0-99, bytes=100-, bytes=-100'),
    'if-range': str('ETag or Last-Modified date: the range only if the file still matches'),
    'if-none-match': str('ETag (quoted SHA-256): 304 when it matches'),
    'if-modified-since': str('HTTP date: 304 when the file is not newer'),
  },
};

const BYTES = { schema: { type: 'string', format: 'binary' } };

export const DOWNLOAD_RESPONSES = {
  200: {
    description: 'The file (its own Content-Type), or a zip for several ids',
    content: { 'application/octet-stream': BYTES, 'application/zip': BYTES },
  },
  206: binary('application/octet-stream', 'The requested byte range (Content-Range)'),
  304: empty('Not modified'),
  ...errors({
    403: 'file_rate_limited_captcha_required (downloads over STOWAGE_HOTLINK_FACTOR × views), ip_download_limited_captcha_required, ip_transfer_limited_captcha_required (per-IP limits), hotlink_detected, download_limit_exceeded, transfer_limit_exceeded (the same with the captcha off)',
    404: 'not_found (extra.file names a missing id of several)',
    416: 'range_not_satisfiable, with Content-Range: bytes */size',
    422: 'string_out_of_range (more than 1000 ids)',
    424: 'recpatcha_failed (recaptcha_response invalid, expired or used already; sic)',
  }),
};

/** Credentials: required (401 without), or optional (anonymous allowed). */
export const AUTH: Record<string, string[]>[] = [{ basicAuth: [] }, { cookieAuth: [] }];
export const AUTH_OPTIONAL: Record<string, string[]>[] = [{}, ...AUTH];

/** The errors any request with credentials may get. */
export const AUTH_ERRORS = {
  401: 'authentication_required (no key), authentication_failed (unknown, revoked or expired key)',
};

/** GET /api/user/files, /api/user/lists: JSON `{[key]: [item…]}`, or CSV with `?format=csv`. */
export function listingSchema(summary: string, key: string, item: Record<string, unknown>) {
  return {
    summary,
    tags: [TAGS.account],
    security: AUTH,
    querystring: {
      type: 'object',
      properties: { format: str('csv: a CSV file instead of JSON', { enum: ['csv'] }) },
    },
    response: {
      200: {
        description: `JSON {"${key}":[…]}, or a CSV attachment with ?format=csv`,
        content: {
          'application/json': {
            schema: { type: 'object', properties: { [key]: { type: 'array', items: item } } },
          },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      ...errors(AUTH_ERRORS),
    },
  };
}

/** GET /misc/sharex/{host}.sxcu (web route, pixeldrain spec 9). */
export const SHAREX_CONFIG = {
  type: 'object',
  properties: {
    Version: str('ShareX config version'),
    Name: str('Stowage (<host>)'),
    DestinationType: str('ImageUploader, TextUploader, FileUploader'),
    RequestMethod: always('PUT'),
    RequestURL: str('<origin>/api/file/{filename}'),
    Body: always('Binary'),
    URL: str('<origin>/u/{json:id}'),
    ThumbnailURL: str('<origin>/api/file/{json:id}/thumbnail'),
    Headers: {
      type: 'object',
      description: 'With credentials: {"Authorization":"Basic …"} (a new key named sharex)',
      additionalProperties: { type: 'string' },
    },
    DeletionURL: str('With credentials: <origin>/u/{json:id}'),
  },
};

/** GET /api/health. */
export const HEALTH_SCHEMA = {
  summary: 'Liveness check',
  description:
    'The process is up and serving. Cheap: it probes nothing (see /api/health/ready) and publishes no versions.',
  tags: [TAGS.misc],
  response: {
    200: json(object({ status: always('ok') }), 'The process serves'),
  },
};

const CHECK = {
  type: 'string',
  enum: ['ok', 'down'],
  description: 'Reachable within the probe timeout (2 s), or not',
};
const CHECKS = {
  type: 'object',
  description:
    'The backends this node uses; `redis` and `clamav` only when configured (`clamav` down is reported but does not make the node unready: uploads work, their scans wait)',
  properties: { database: CHECK, blob_store: CHECK, redis: CHECK, clamav: CHECK },
  required: ['database'],
};

/** GET /api/health/ready. */
export const READY_SCHEMA = {
  summary: 'Readiness check',
  description:
    'Whether this node can serve requests now: SELECT 1 on the database, a stat of the data dir or HeadBucket on S3, PING on Redis, at once, each within 2 s. 503 names what is down.',
  tags: [TAGS.misc],
  response: {
    200: json(object({ status: always('ready'), checks: CHECKS }), 'Every backend answers'),
    503: json(
      object({ status: always('unavailable'), checks: CHECKS }),
      'A backend cannot be reached (its check is "down")',
    ),
  },
};

/** GET /api/file/{id}/thumbnail (pixeldrain spec 2.6). */
export const fileThumbnailSchema = {
  summary: 'Thumbnail of a file',
  description:
    'A PNG thumbnail; width and height are multiples of 16 from 16 to 256 (default 256). Files without a picture get an icon for their type.',
  tags: [TAGS.files],
  params: idParam(FILE_ID),
  querystring: {
    type: 'object',
    properties: {
      width: int('Multiple of 16, 16…256', { minimum: 16, maximum: 256, multipleOf: 16 }),
      height: int('Multiple of 16, 16…256', { minimum: 16, maximum: 256, multipleOf: 16 }),
    },
  },
  response: {
    200: binary('image/png', 'The thumbnail (ETag, long-lived Cache-Control)'),
    304: empty('Not modified (If-None-Match)'),
    ...errors({ 400: 'invalid_thumbnail_size', 404: 'not_found' }),
  },
};
