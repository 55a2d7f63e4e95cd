/**
 * The pixeldrain dialect's shared response objects (FileInfo, lists, the user, sessions, errors):
 * added once to the server with addSchema (src/http/server.ts) and referenced by `$id` with ref()
 * (schemas.ts names their ids, ComponentId). Property order is the order the handlers emit.
 */
import { always, bool, date, FILE_ID, int, object, ref, str } from './schemas.js';

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
