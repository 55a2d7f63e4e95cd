import type { FastifyInstance } from 'fastify';
import type { Core } from '../../../core/index.js';
import { handleGet } from './read.js';
import { BUCKETS_SCHEMA, DELETE_SCHEMA, GET_SCHEMA, POST_SCHEMA, PUT_SCHEMA } from './schemas.js';
import { handleBuckets, handleDelete, handlePost, handlePut } from './write.js';

export { statFor } from './read.js';
export { callerOf, rawFsPath } from './caller.js';
export { toFsPdError } from './errors.js';

/** pixeldrain's filesystem API under /api/filesystem (spec §5). */
export function registerFilesystem(app: FastifyInstance, core: Core): void {
  app.get('/filesystem', { schema: BUCKETS_SCHEMA }, (req, reply) =>
    handleBuckets(core, req, reply),
  );
  const path = '/filesystem/*';
  app.get(path, { schema: GET_SCHEMA }, (req, reply) => handleGet(core, req, reply));
  app.put(path, { schema: PUT_SCHEMA }, (req, reply) => handlePut(core, req, reply));
  app.post(path, { schema: POST_SCHEMA }, (req, reply) => handlePost(core, req, reply));
  app.delete(path, { schema: DELETE_SCHEMA }, (req, reply) => handleDelete(core, req, reply));
}
