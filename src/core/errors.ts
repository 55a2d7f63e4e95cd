/**
 * Domain errors. The core only says *what* went wrong; each HTTP dialect maps these codes to its own
 * status codes and bodies (one table per dialect).
 */
export type CoreErrorCode =
  | 'not_found'
  | 'no_file'
  | 'file_too_large'
  | 'name_out_of_range'
  | 'name_illegal_character'
  | 'too_many_ids'
  | 'authentication_required'
  | 'authentication_failed'
  | 'forbidden'
  /** The key's access level is too low for this; `extra`: `required`, `have`. */
  | 'insufficient_access'
  /** Too many attempts (password checks); `extra.retryAfterMs`. */
  | 'rate_limited'
  | 'upload_aborted'
  | 'storage_failed'
  | 'user_exists'
  | 'user_not_found'
  | 'invalid_username'
  | 'key_not_found'
  /** A thumbnail width or height that is not a multiple of 16 from 16 to 256. */
  | 'invalid_thumbnail_size'
  /** Input failed validation; `extra.issues` is a list of ValidationIssue. */
  | 'invalid_input'
  | 'password_incorrect'
  /** The account has no password (created by the CLI without one). */
  | 'no_login_method'
  | 'registration_closed'
  | 'email_exists'
  | 'list_file_not_found'
  | 'too_many_files'
  | 'title_too_long'
  | 'description_too_long'
  | 'empty_list'
  /** An upload would pass the account's storage or 24-hour upload quota; `extra`: limit, max, used. */
  | 'user_out_of_space'
  /** An upload would pass the account's maximum number of files; `extra`: limit, max, used. */
  | 'file_limit_reached'
  /** Anonymous uploads from this address are used up for the day; `extra`: max, kind, retryAfterMs. */
  | 'anonymous_upload_limit'
  /** A registration invite that does not exist, was used or has expired. */
  | 'invite_invalid'
  /** Moderation (issue 15): the file is blocked already (a report on it is refused). */
  | 'file_already_blocked'
  /** The same client has reported this file already. */
  | 'already_reported'
  /** An upload's bytes hash to a blocked SHA-256: refused, nothing stored. */
  | 'content_blocked'
  /** The account is disabled by an admin: no login, its keys are refused. */
  | 'account_disabled'
  /** An admin may not remove their own admin flag nor disable or delete themselves. */
  | 'cannot_modify_self'
  /** An account (or an address) holds its maximum of unfinished resumable uploads; `extra`: max. */
  | 'too_many_pending_uploads'
  /** An embed domain that is not a host name (pixeldrain's `invalid_domain_name`). */
  | 'invalid_domain_name';

/** One problem with one input field, in terms each dialect can render its own way. */
export type ValidationIssue =
  | { field: string; problem: 'missing' }
  | { field: string; problem: 'out_of_range'; min: number; max: number; len: number }
  | { field: string; problem: 'illegal_character'; char: string; position: number }
  | { field: string; problem: 'invalid_email' }
  /** A value outside a fixed set (an abuse type, an action). */
  | { field: string; problem: 'invalid_enum'; allowed: readonly string[] };

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message?: string,
    readonly extra?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message ?? code, options);
    this.name = 'CoreError';
  }
}

export function invalidInput(issues: ValidationIssue[]): CoreError {
  return new CoreError('invalid_input', 'Some fields are not valid', { issues });
}

/** The backends a request may need besides its own process. */
export type Backend = 'database' | 'blob_store' | 'shared_state';

/**
 * A backend cannot be reached (connection refused or lost, timed out): the request may succeed
 * when retried. Dialects answer 503 in their own shape.
 */
export class UnavailableError extends Error {
  constructor(
    readonly backend: Backend,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? `${backend} unavailable`, options);
    this.name = 'UnavailableError';
  }
}

/** Connection-level failures, recognised by their codes (node sockets, PostgreSQL SQLSTATEs). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, connection exceptions.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/**
 * Whether an error means "a backend is unreachable" rather than "this request is wrong": an
 * UnavailableError, or a connection failure as the drivers report it (pg's "Connection terminated"
 * carries no code).
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  return (
    typeof e.message === 'string' &&
    /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(
      e.message,
    )
  );
}
