import type { FastifyInstance } from 'fastify';
import type { Core } from '../../../core/index.js';
import { AUTH_OPTIONAL, TAGS } from '../schemas.js';
import { handleGet } from './read.js';
import { handleBuckets, handleDelete, handlePost, handlePut } from './write.js';

export { statFor } from './read.js';
export { callerOf, rawFsPath } from './caller.js';
export { toFsPdError } from './errors.js';

const TAG = [TAGS.filesystem];

/** pixeldrain's filesystem API under /api/filesystem (spec §5). */
export function registerFilesystem(app: FastifyInstance, core: Core): void {
  app.get(
    '/filesystem',
    {
      schema: {
        summary: 'Your buckets',
        description: 'The root of your own tree (`/me`), then the nodes you share (`/{id}`).',
        tags: TAG,
      },
    },
    (req, reply) => handleBuckets(core, req, reply),
  );
  const path = '/filesystem/*';
  app.get(
    path,
    {
      schema: {
        summary: 'Read a path',
        description:
          'A file: its bytes (ranges, conditionals; `?attach` as an attachment). A directory, or `?stat`: `{path, base_index, children, permissions, context}`. Also `?thumbnail&width&height`, `?bulk_download` (a directory as a zip), `?search=&limit=`, `?change_log&start&end`. The bucket is `me` (your tree) or a shared id.',
        tags: TAG,
        security: AUTH_OPTIONAL,
      },
    },
    (req, reply) => handleGet(core, req, reply),
  );
  app.put(
    path,
    {
      schema: {
        summary: 'Write a file',
        description:
          'The raw body is the file; an existing file is overwritten. Query: `make_parents`, `modified`, `created` (RFC 3339), `mode` (octal), `shared`. Answers the node.',
        tags: TAG,
        security: AUTH_OPTIONAL,
      },
    },
    (req, reply) => handlePut(core, req, reply),
  );
  app.post(
    path,
    {
      schema: {
        summary: 'Act on a path',
        description:
          'Form `action`: `mkdir`, `mkdirall` (201 created), `rename` (`target` with the bucket, `make_parents`), `update` (`created`, `modified`, `mode`, `shared`, `link_permissions`/`user_permissions`/`password_permissions` as JSON, branding properties), `import` (`files`: a JSON array of file ids).',
        tags: TAG,
        security: AUTH_OPTIONAL,
      },
    },
    (req, reply) => handlePost(core, req, reply),
  );
  app.delete(
    path,
    {
      schema: {
        summary: 'Delete a path',
        description:
          'A non-empty directory only with `recursive=true` (else `directory_not_empty`).',
        tags: TAG,
        security: AUTH_OPTIONAL,
      },
    },
    (req, reply) => handleDelete(core, req, reply),
  );
}
