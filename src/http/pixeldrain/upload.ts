import type { FastifyReply, FastifyRequest } from 'fastify';
import { closeAfterResponse } from '../common/early-reject.js';
import { sendPdError, toPdError } from './errors.js';
import { logFailure } from '../common/logging.js';

/** What the upload endpoints (PUT and POST /api/file) share. */

/** Declared body length, or null when chunked / absent. */
export function declaredLength(req: FastifyRequest): number | null {
  const v = req.headers['content-length'];
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Answer a refused or failed upload, closing the connection if the body was not read to the end. */
export function failUpload(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const e = toPdError(err);
  if (e.status >= 500) logFailure(req, reply, err, 'upload failed');
  closeAfterResponse(req.raw, reply.raw);
  return sendPdError(reply, e);
}

/**
 * The answer to `POST /api/file`: exactly `{"success":true,"id":"..."}` (clients regex the raw body,
 * spec 1.4). For an anonymous upload the delete key goes *before* `success`, so
 * `"success":true,"id":"(.*)"` still matches.
 */
export function newFileBody(result: { file: { id: string }; deleteKey?: string }): string {
  const { file, deleteKey } = result;
  return JSON.stringify(
    deleteKey ? { deleteKey, success: true, id: file.id } : { success: true, id: file.id },
  );
}
