/**
 * Domain events in the log (issue 19): uploads and deletes, written by the HTTP layer where it
 * maps the core's results, on the request's logger (so each carries the request's `reqId`).
 * Ids and sizes only: never a name, a key or a delete secret.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../../core/accounts.js';
import type { LogDialect } from './request-log.js';

/** What an upload event says of the stored file. */
export interface UploadedFile {
  id: string;
  size: number;
  ownerId: string | null;
}

/** A file was stored: its id, size, the API it came through and its owner (or `anonymous`). */
export function logUpload(log: FastifyBaseLogger, dialect: LogDialect, file: UploadedFile): void {
  log.info(
    {
      event: 'upload',
      file: file.id,
      size: file.size,
      dialect,
      owner: file.ownerId ?? 'anonymous',
    },
    'upload',
  );
}

/**
 * A file was deleted: its id, the API, and by whom (the account's id, or `delete_key` when the
 * request carried no account and the file's delete key or secret allowed it).
 */
export function logDelete(
  log: FastifyBaseLogger,
  dialect: LogDialect,
  fileId: string,
  by: Principal | null,
): void {
  log.info({ event: 'delete', file: fileId, dialect, by: by?.userId ?? 'delete_key' }, 'delete');
}
