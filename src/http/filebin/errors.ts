import type { FastifyReply } from 'fastify';
import { CoreError, type CoreErrorCode } from '../../core/errors.js';
import { BodyError } from '../common/form.js';
import { sendFbJson } from './respond.js';

/**
 * FileBin's error catalogue (spec 1.7): every `error_id` this dialect answers, with FileBin's exact
 * message. Errors always go out with HTTP 400 (FileBin never passes another status).
 */
export const FB_ERRORS = {
  'api/invalid-version': 'Invalid API version requested',
  'api/invalid-endpoint': 'Invalid endpoint requested',
  'api/version-not-supported': 'Requested API version is not supported',
  'api/unknown-endpoint': 'Unknown endpoint requested',
  'internal-error': 'An unhandled internal server error occured',
  'api/not-authenticated': '', // built per request: it names the site URL
  'user/api-login-failed': 'API key login failed',
  'api/insufficient-permissions': '', // "Access denied: Access level too low. Required: x; Have: y"
  'user/login-failed': 'Login failed',
  'input/invalid-form-field': 'Invalid input',
  'file/no-file': 'No file was uploaded or unknown error occurred.',
  'file/upload-verify': 'Failed to verify uploaded file(s)',
  'file/bad-minimum-id-length':
    "Passed parameter 'minimum-id-length' is not a valid integer or too small (min value: 2)",
  'file/delete/no-ids': 'No IDs specified',
  'file/create_multipaste/no-ids': 'No IDs specified',
  'file/create_multipaste/duplicate-id': 'Duplicate IDs are not supported',
  'file/create_multipaste/verify-failed': 'Failed to verify ID(s)',
  'user/validation/access_level/invalid': 'Invalid access levels requested.',
  'user/validation/comment/too-long': 'Comment may only be 255 chars long.',
  'user/delete_apikey/failed': 'Apikey deletion failed. Possibly wrong owner.',
} as const;

export type FbErrorId = keyof typeof FB_ERRORS;

/** A FileBin error answer: `{"status":"error","error_id","message"[,"data"]}`, HTTP 400. */
export class FbError extends Error {
  constructor(
    readonly errorId: FbErrorId,
    message?: string,
    readonly data?: unknown,
  ) {
    super(message ?? FB_ERRORS[errorId]);
  }
}

/**
 * The one mapping from core errors to FileBin's: what the core can refuse on the paths this
 * dialect calls. Anything else is FileBin's catch-all `internal-error`.
 */
const CORE_TO_FB: Partial<Record<CoreErrorCode, FbErrorId>> = {
  authentication_failed: 'user/api-login-failed',
  authentication_required: 'api/not-authenticated',
  user_not_found: 'user/login-failed',
  password_incorrect: 'user/login-failed',
  no_login_method: 'user/login-failed',
  empty_list: 'file/create_multipaste/no-ids',
  key_not_found: 'user/delete_apikey/failed',
};

/** Any thrown value as a FileBin error (unexpected ones are internal-error). */
export function toFbError(err: unknown): FbError {
  if (err instanceof FbError) return err;
  if (err instanceof CoreError) {
    const id = CORE_TO_FB[err.code];
    if (id && FB_ERRORS[id]) return new FbError(id);
  }
  if (err instanceof BodyError) return new FbError('internal-error');
  return new FbError('internal-error');
}

export function sendFbError(reply: FastifyReply, e: FbError): FastifyReply {
  const body: Record<string, unknown> = {
    status: 'error',
    error_id: e.errorId,
    message: e.message,
  };
  if (e.data !== undefined) body.data = e.data;
  return sendFbJson(reply, body, 400);
}

/** An error FileBin answers with an HTML page rather than JSON (e.g. `apikey[]=…`). */
export class FbPageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}
