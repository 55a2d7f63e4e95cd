import {
  AUTH_ERRORS,
  AUTH_OPTIONAL,
  binary,
  bool,
  errors,
  form,
  int,
  json,
  str,
  TAGS,
  type Schema,
} from '../schemas.js';

/** The OpenAPI side of the filesystem routes (schemas document; they validate nothing). */

const perms = (description: string): Schema => ({
  type: 'object',
  description,
  properties: {
    owner: { type: 'boolean' },
    read: { type: 'boolean' },
    write: { type: 'boolean' },
    delete: { type: 'boolean' },
  },
});

export const FS_NODE: Schema = {
  type: 'object',
  description: 'A node. `id` only when shared; the permission objects only for the owner.',
  properties: {
    type: str('`file` or `dir`', { enum: ['file', 'dir'] }),
    path: str('Absolute, starting with the bucket: /me/docs/a.txt, /{sharedId}/sub/b.mp4'),
    name: str('The last path component (the bucket for its root)'),
    created: str('RFC 3339, milliseconds', { format: 'date-time' }),
    modified: str('RFC 3339, milliseconds', { format: 'date-time' }),
    mode_string: str('As ls shows it: -rw-r--r--'),
    mode_octal: str('Permission bits in octal: 644'),
    created_by: str('The owner’s username'),
    abuse_type: str('Empty'),
    file_size: int('Bytes (0 for a directory)'),
    file_type: str('Media type (empty for a directory)'),
    sha256_sum: str('SHA-256 of the content, hex (empty for a directory)'),
    id: str('The public id of a shared node (its /d/{id} link)'),
    properties: { type: 'object', description: 'Branding properties', additionalProperties: true },
    link_permissions: perms('What anyone with the link may do (default read)'),
    user_permissions: {
      type: 'object',
      description: 'By username',
      additionalProperties: perms('Rights of one user'),
    },
    password_permissions: {
      type: 'object',
      description: 'By password (sent as the Basic password on the shared id)',
      additionalProperties: perms('Rights of one password'),
    },
  },
};

const FS_STAT: Schema = {
  type: 'object',
  properties: {
    path: { type: 'array', items: FS_NODE, description: 'From the bucket’s root to the node' },
    base_index: int('Index of the node in `path`'),
    children: { type: 'array', items: FS_NODE, description: 'Directories first, then by name' },
    permissions: perms('What the caller may do here'),
    context: { type: 'object', additionalProperties: true },
  },
};

const PATH_PARAM: Schema = {
  type: 'object',
  properties: {
    '*': str('The bucket (`me`, or a shared id) and the path below it, each component URL-encoded'),
  },
};

const PATH_ERRORS = {
  ...AUTH_ERRORS,
  400: 'permission_denied, node_is_a_directory, node_is_not_a_directory, node_already_exists, directory_not_empty, cannot_modify_root_dir, circular_dependency, search_not_a_directory',
  404: 'not_found (the bucket), path_not_found, user_not_found',
  422: 'name_too_long, path_too_long, too_many_nested_levels, too_many_children, invalid_path, invalid_action, json_parse_failed, list_file_not_found, invalid_value, search_term_too_short, search_term_too_long, log_timespan_too_long',
};

const TAG = [TAGS.filesystem];

export const BUCKETS_SCHEMA = {
  summary: 'Your buckets',
  description: 'The root of your own tree (`/me`), then the nodes you share (`/{id}`).',
  tags: TAG,
  security: AUTH_OPTIONAL,
  response: {
    200: json({ type: 'array', items: FS_NODE }, 'The buckets'),
    ...errors(AUTH_ERRORS),
  },
};

export const GET_SCHEMA = {
  summary: 'Read a path',
  description:
    'A file: its bytes (ranges, conditionals; `?attach` as an attachment). A directory, or `?stat`: `{path, base_index, children, permissions, context}`. Also `?thumbnail&width&height` (16 to 256, multiples of 16), `?bulk_download` (a directory as a zip), `?search=&limit=` (an array of paths), `?change_log&start&end` (at most 30 days), `?download_stats`. The bucket is `me` (your tree) or a shared id.',
  tags: TAG,
  security: AUTH_OPTIONAL,
  params: PATH_PARAM,
  querystring: {
    type: 'object',
    properties: {
      stat: bool('The stat, also for a file'),
      attach: bool('Content-Disposition: attachment'),
      thumbnail: bool('A PNG thumbnail of a file'),
      width: int('Thumbnail width'),
      height: int('Thumbnail height'),
      bulk_download: bool('The directory as a zip'),
      search: str('Names containing this (2 to 100 characters)'),
      limit: int('Search results, 1 to 1000 (10)'),
      change_log: bool('Changes between start and end'),
      download_stats: bool(
        '{downloads, transfer_free, transfer_paid} of a file, or of the files in a directory',
      ),
      start: str('RFC 3339'),
      end: str('RFC 3339'),
    },
  },
  response: {
    200: {
      description: 'The file’s bytes, a stat, a zip, a thumbnail, search results or changes',
      content: {
        'application/json': { schema: FS_STAT },
        'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      },
    },
    206: binary('application/octet-stream', 'A byte range of the file'),
    ...errors({ ...PATH_ERRORS, 451: 'unavailable_for_legal_reasons (malware)' }),
  },
};

export const PUT_SCHEMA = {
  summary: 'Write a file',
  description:
    'The raw body is the file; an existing file is overwritten. Query: `make_parents`, `modified`, `created` (RFC 3339), `mode` (octal), `shared`. Checked before a byte is read; streamed and hashed as `PUT /api/file`. Answers the node.',
  tags: TAG,
  security: AUTH_OPTIONAL,
  params: PATH_PARAM,
  querystring: {
    type: 'object',
    properties: {
      make_parents: bool('Make missing parent directories'),
      modified: str('Modification time, RFC 3339 (kept to the millisecond)'),
      created: str('Creation time, RFC 3339'),
      mode: str('Permission bits, octal (644)'),
      shared: bool('Share the file (it gets an id)'),
    },
  },
  body: { type: 'string', format: 'binary', description: 'The file' },
  response: {
    200: json(FS_NODE, 'The node written'),
    ...errors({
      ...PATH_ERRORS,
      400: `${PATH_ERRORS[400]}, user_out_of_space`,
      413: 'file_too_large',
      500: 'writing, internal',
    }),
  },
};

export const POST_SCHEMA = {
  summary: 'Act on a path',
  description:
    'Form `action`: `mkdir`, `mkdirall` (201 created), `rename` (`target` with the bucket, `make_parents`), `update` (`created`, `modified`, `mode`, `shared`, `link_permissions`/`user_permissions`/`password_permissions` as JSON, branding properties; empty removes), `import` (`files`: a JSON array of file ids, 201).',
  tags: TAG,
  security: AUTH_OPTIONAL,
  params: PATH_PARAM,
  body: form(
    {
      action: str('mkdir, mkdirall, rename, update, import', {
        enum: ['mkdir', 'mkdirall', 'rename', 'update', 'import'],
      }),
      mode: str('Octal permission bits'),
      target: str('rename: the new path, with its bucket (/me/docs/new.txt)'),
      make_parents: bool('rename: make missing parents'),
      created: str('update: RFC 3339'),
      modified: str('update: RFC 3339'),
      shared: bool('update: share (an id) or stop sharing'),
      link_permissions: str('update: JSON permission object'),
      user_permissions: str('update: JSON object of permission objects by username'),
      password_permissions: str('update: JSON object of permission objects by password'),
      files: str('import: JSON array of file ids'),
    },
    ['action'],
  ),
  response: {
    200: json(FS_NODE, 'rename, update: the node'),
    201: json('Created', 'mkdir, mkdirall, import: created'),
    ...errors(PATH_ERRORS),
  },
};

export const DELETE_SCHEMA = {
  summary: 'Delete a path',
  description: 'A non-empty directory only with `recursive=true` (else `directory_not_empty`).',
  tags: TAG,
  security: AUTH_OPTIONAL,
  params: PATH_PARAM,
  querystring: {
    type: 'object',
    properties: { recursive: bool('Delete a directory with everything in it') },
  },
  response: { 200: json('Ok', 'Deleted'), ...errors(PATH_ERRORS) },
};
