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
  // Not FileBin's (it has no limit): too many password checks, HTTP 429 with Retry-After.
  'user/login-rate-limited': '', // "Too many login attempts, try again in N seconds"
  // Not FileBin's either (it has no quotas): an account's storage / 24-hour upload quota, its
  // maximum number of files, and anonymous uploads per address (HTTP 429 with Retry-After).
  'file/user-out-of-space': '', // the core's message: which quota
  'file/too-many-files': 'You have reached the maximum number of files for your account',
  'file/upload-rate-limited': '', // "Too many uploads from your address, try again in N seconds"
} as const;

export type FbErrorId = keyof typeof FB_ERRORS;

/** A FileBin error answer: `{"status":"error","error_id","message"[,"data"]}`, HTTP 400. */
export class FbError extends Error {
  constructor(
    readonly errorId: FbErrorId,
    message?: string,
    readonly data?: unknown,
    /** HTTP status (FileBin's own errors are all 400) and Retry-After seconds, for rate limits. */
    readonly http: { status: number; retryAfter?: number } = { status: 400 },
  ) {
    super(message ?? FB_ERRORS[errorId]);
  }
}

/** Over the password limit: FileBin's error shape, HTTP 429 and Retry-After. */
function rateLimited(err: CoreError): FbError {
  const seconds = Math.max(1, Math.ceil(Number(err.extra?.retryAfterMs ?? 60_000) / 1000));
  return new FbError(
    'user/login-rate-limited',
    `Too many login attempts, try again in ${seconds} seconds`,
    undefined,
    { status: 429, retryAfter: seconds },
  );
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
  account_disabled: 'user/api-login-failed',
};

/** Any thrown value as a FileBin error (unexpected ones are internal-error). */
export function toFbError(err: unknown): FbError {
  if (err instanceof FbError) return err;
  if (err instanceof CoreError) {
    if (err.code === 'rate_limited') return rateLimited(err);
    if (err.code === 'user_out_of_space') return new FbError('file/user-out-of-space', err.message);
    if (err.code === 'file_limit_reached') return new FbError('file/too-many-files');
    if (err.code === 'anonymous_upload_limit') {
      const seconds = Math.max(1, Math.ceil(Number(err.extra?.retryAfterMs ?? 60_000) / 1000));
      return new FbError(
        'file/upload-rate-limited',
        `Too many uploads from your address, try again in ${seconds} seconds`,
        undefined,
        { status: 429, retryAfter: seconds },
      );
    }
    if (err.code === 'insufficient_access') {
      return new FbError('api/insufficient-permissions', `Access denied: ${err.message}`);
    }
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
  if (e.http.retryAfter !== undefined) reply.header('Retry-After', String(e.http.retryAfter));
  return sendFbJson(reply, body, e.http.status);
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
