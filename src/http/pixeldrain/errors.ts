import type { FastifyReply } from 'fastify';
import type { CoreErrorCode, ValidationIssue } from '../../core/errors.js';
import { CoreError, isUnavailable } from '../../core/errors.js';
import { RemoteFetchError, type RemoteFailure } from '../../core/remote.js';
import { BodyError } from '../common/form.js';
import { frameworkClientError, isInvalidMediaType } from '../common/framework-error.js';

export interface PdError {
  status: number;
  value: string;
  message: string;
  extra?: Record<string, unknown>;
  /** For `multiple_errors`. */
  errors?: PdError[];
  /** Seconds for a Retry-After header (rate limits). */
  retryAfter?: number;
}

/** The one mapping from core errors to pixeldrain's `{success:false,value,message}` (spec 1.5). */
const TABLE: Record<CoreErrorCode, Omit<PdError, 'extra'>> = {
  not_found: {
    status: 404,
    value: 'not_found',
    message: 'The entity you requested could not be found',
  },
  no_file: { status: 422, value: 'no_file', message: 'The file does not exist or is empty' },
  file_too_large: {
    status: 413,
    value: 'file_too_large',
    message: 'The file you tried to upload is too large',
  },
  name_out_of_range: {
    status: 422,
    value: 'string_out_of_range',
    message: 'A string parameter you passed was either too short or too long',
  },
  name_illegal_character: {
    status: 422,
    value: 'name_contains_illegal_character',
    message: 'The file name contains characters that are not allowed',
  },
  too_many_ids: {
    status: 422,
    value: 'string_out_of_range',
    message: 'A string parameter you passed was either too short or too long',
  },
  authentication_required: {
    status: 401,
    value: 'authentication_required',
    message:
      'This API endpoint requires authentication. Send an API key as the password of HTTP Basic authentication',
  },
  authentication_failed: {
    status: 401,
    value: 'authentication_failed',
    message: 'The provided API key is invalid, has been revoked or has expired',
  },
  forbidden: {
    status: 403,
    value: 'forbidden',
    message: 'You are not logged in or this is not your file',
  },
  insufficient_access: {
    status: 403,
    value: 'forbidden',
    message: 'The access level of this API key is too low for this action',
  },
  rate_limited: {
    status: 429,
    value: 'ip_rate_limit_reached',
    message: 'Your IP address has made too many requests of this kind',
  },
  upload_aborted: {
    status: 400,
    value: 'error_reading_input',
    message: 'The request body could not be read completely',
  },
  storage_failed: {
    status: 500,
    value: 'writing',
    message:
      'Something went wrong while writing the file to disk, the server may be out of storage space.',
  },
  user_exists: {
    status: 400,
    value: 'username_already_registered',
    message: 'This username is already taken',
  },
  user_not_found: { status: 404, value: 'user_not_found', message: 'The user could not be found' },
  invalid_username: {
    status: 400,
    value: 'field_contains_illegal_character',
    message: 'A field contains a character which is not allowed',
  },
  key_not_found: {
    status: 404,
    value: 'not_found',
    message: 'The entity you requested could not be found',
  },
  invalid_thumbnail_size: {
    status: 400,
    value: 'invalid_thumbnail_size',
    message: 'Thumbnail width and height must be multiples of 16 from 16 to 256',
  },
  invalid_input: {
    status: 400,
    value: 'multiple_errors',
    message:
      'This API endpoint can return multiple errors which need to be checked individually. See the errors array',
  },
  password_incorrect: {
    status: 400,
    value: 'password_incorrect',
    message: 'The password you entered is not correct',
  },
  no_login_method: {
    status: 400,
    value: 'no_login_method_available',
    message: 'This account has no password, log in is not possible',
  },
  registration_closed: {
    status: 403,
    value: 'forbidden',
    message: 'Registration is closed on this server',
  },
  email_exists: {
    status: 400,
    value: 'email_address_already_registered',
    message: 'This e-mail address is already registered to another account',
  },
  list_file_not_found: {
    status: 422,
    value: 'list_file_not_found',
    message: 'A file in the list was not found in the database.',
  },
  too_many_files: {
    status: 413,
    value: 'too_many_files',
    message: 'This list contains too many files, max 10000 allowed.',
  },
  title_too_long: {
    status: 413,
    value: 'title_too_long',
    message: 'The title of this list is too long, max 300 characters allowed.',
  },
  description_too_long: {
    status: 413,
    value: 'description_too_long',
    message:
      'The description of one of the files in the list is too long, max 3000 characters allowed.',
  },
  empty_list: {
    status: 422,
    value: 'cannot_create_empty_list',
    message: 'You cannot make a list with no files.',
  },
  user_out_of_space: {
    status: 400,
    value: 'user_out_of_space',
    message: 'You have used all of your storage space or your upload allowance for today',
  },
  file_limit_reached: {
    status: 400,
    value: 'too_many_files',
    message: 'You have reached the maximum number of files for your account',
  },
  anonymous_upload_limit: {
    status: 429,
    value: 'ip_rate_limit_reached',
    message: 'Your IP address has used up its uploads without an account for today',
  },
  invite_invalid: {
    status: 400,
    value: 'invite_invalid',
    message: 'This invite code does not exist, has been used or has expired',
  },
  file_already_blocked: {
    status: 400,
    value: 'file_already_blocked',
    message: 'This file has already been blocked, reporting it is not necessary',
  },
  already_reported: {
    status: 400,
    value: 'resource_already_exists',
    message: 'You have already reported this file',
  },
  content_blocked: {
    status: 451,
    value: 'unavailable_for_legal_reasons',
    message: 'This content has been blocked on this server and cannot be uploaded',
  },
  account_disabled: {
    status: 403,
    value: 'account_banned',
    message: 'This account has been disabled by the administrators of this server',
  },
  cannot_modify_self: {
    status: 400,
    value: 'cannot_modify_self',
    message: 'Administrators cannot disable, delete or demote their own account',
  },
  too_many_pending_uploads: {
    status: 429,
    value: 'too_many_pending_uploads',
    message: 'You have too many unfinished uploads: finish or cancel one of them first',
  },
  invalid_domain_name: {
    status: 400,
    value: 'invalid_domain_name',
    message: 'One of the embed domains is not a domain name',
  },
};

/** One validation problem as one of pixeldrain's input errors (spec 1.5). */
export function issueError(i: ValidationIssue): PdError {
  switch (i.problem) {
    case 'missing':
      return {
        status: 400,
        value: 'missing_field',
        message: 'A required field was not sent with this request. See extra for more information',
        extra: { field: i.field },
      };
    case 'out_of_range':
      return {
        status: 422,
        value: 'string_out_of_range',
        message: 'A string parameter you passed was either too short or too long',
        extra: { field: i.field, min_len: i.min, max_len: i.max, len: i.len },
      };
    case 'illegal_character':
      return {
        status: 400,
        value: 'field_contains_illegal_character',
        message: 'A field contains a character which is not allowed',
        extra: { field: i.field, char: i.char, char_position: i.position },
      };
    case 'invalid_email':
      return {
        status: 400,
        value: 'invalid_email_address',
        message: 'The e-mail address you entered is not valid',
        extra: { field: i.field },
      };
    case 'invalid_enum':
      return {
        status: 422,
        value: 'enum_parse_failed',
        message: 'A enum field contains a value which is not allowed. See extra for allowed values',
        extra: { field: i.field, allowed_values: i.allowed },
      };
  }
}

export const INTERNAL: PdError = {
  status: 500,
  value: 'internal',
  message: 'An internal server error occurred',
};

/** A backend (database, blob store, Redis) cannot be reached: try again later. */
export const UNAVAILABLE: PdError = {
  status: 503,
  value: 'service_unavailable',
  message: 'A service this request needs cannot be reached at the moment, try again later',
};

/** A Content-Type the server cannot read a body as (pixeldrain's value for a wrong body type). */
export const INVALID_CONTENT_TYPE: PdError = {
  status: 400,
  value: 'invalid_content_type',
  message: 'The Content-Type of the request is not valid for this endpoint',
};

export const INVALID_ENDPOINT: PdError = {
  status: 404,
  value: 'invalid_endpoint',
  message: 'The API endpoint you requested does not exist',
};

/** A pixeldrain error decided by the adapter itself (request shape, not domain). */
export class PdFailure extends Error {
  constructor(readonly error: PdError) {
    super(error.message);
  }
}

function bodyError(err: BodyError): PdError {
  if (err.reason === 'too_large')
    return { status: 413, value: 'request_too_large', message: err.message };
  return { status: 400, value: 'error_reading_input', message: err.message };
}

/**
 * URL uploads (`POST /api/file` with `url=`): why the server could not fetch the URL. The message
 * is the fetcher's own (it names the address, the status or the limit).
 */
const REMOTE: Record<RemoteFailure, { status: number; value: string }> = {
  disabled: { status: 403, value: 'url_uploads_disabled' },
  invalid_url: { status: 400, value: 'invalid_url' },
  forbidden_address: { status: 400, value: 'forbidden_address' },
  unreachable: { status: 502, value: 'remote_unreachable' },
  too_many_redirects: { status: 502, value: 'remote_too_many_redirects' },
  http_status: { status: 502, value: 'remote_http_status' },
  too_large: { status: 413, value: 'file_too_large' },
  timeout: { status: 504, value: 'remote_timeout' },
  cancelled: { status: 400, value: 'error_reading_input' },
};

export function toPdError(err: unknown): PdError {
  if (err instanceof PdFailure) return err.error;
  if (err instanceof RemoteFetchError) return { ...REMOTE[err.reason], message: err.message };
  if (err instanceof BodyError) return bodyError(err);
  if (err instanceof CoreError) {
    if (err.code === 'invalid_input') {
      const issues = (err.extra?.issues ?? []) as ValidationIssue[];
      return { ...TABLE.invalid_input, errors: issues.map(issueError) };
    }
    if (err.code === 'anonymous_upload_limit') {
      const seconds = Math.max(1, Math.ceil(Number(err.extra?.retryAfterMs ?? 60_000) / 1000));
      return {
        ...TABLE.anonymous_upload_limit,
        extra: { max: err.extra?.max, kind: err.extra?.kind },
        retryAfter: seconds,
      };
    }
    if (err.code === 'user_out_of_space' || err.code === 'file_limit_reached') {
      return {
        ...TABLE[err.code],
        message: err.message,
        ...(err.extra ? { extra: err.extra } : {}),
      };
    }
    if (err.code === 'rate_limited') {
      const seconds = Math.max(1, Math.ceil(Number(err.extra?.retryAfterMs ?? 60_000) / 1000));
      return {
        ...TABLE.rate_limited,
        message: `${TABLE.rate_limited.message}, try again in ${seconds} seconds`,
        retryAfter: seconds,
      };
    }
    if (err.code === 'insufficient_access') {
      const { required, have } = (err.extra ?? {}) as { required?: string; have?: string };
      return {
        ...TABLE.insufficient_access,
        message: `${TABLE.insufficient_access.message} (required: ${required}; have: ${have})`,
      };
    }
    // The message names the domain that is not one.
    if (err.code === 'invalid_domain_name') return { ...TABLE[err.code], message: err.message };
    if (err.code === 'list_file_not_found' || err.code === 'not_found') {
      // The message names the file ("File Oh42No was not found in the database.").
      return {
        ...TABLE[err.code],
        ...(err.extra ? { extra: err.extra, message: err.message } : {}),
      };
    }
    return { ...TABLE[err.code], ...(err.extra ? { extra: err.extra } : {}) };
  }
  if (isUnavailable(err)) return UNAVAILABLE;
  const framework = frameworkClientError(err);
  if (framework) {
    if (isInvalidMediaType(framework)) return INVALID_CONTENT_TYPE;
    return {
      status: framework.status,
      value: 'error_reading_input',
      message: `The request could not be read: ${framework.message}`,
    };
  }
  return INTERNAL;
}

/** As toPdError, but a single validation problem is answered as itself, not in multiple_errors. */
export function toPdErrorUnwrapped(err: unknown): PdError {
  if (err instanceof CoreError && err.code === 'invalid_input') {
    const issues = (err.extra?.issues ?? []) as ValidationIssue[];
    if (issues.length === 1) return issueError(issues[0]!);
  }
  return toPdError(err);
}

function errorObject(e: PdError): Record<string, unknown> {
  return {
    success: false,
    value: e.value,
    message: e.message,
    ...(e.extra ? { extra: e.extra } : {}),
    ...(e.errors ? { errors: e.errors.map(errorObject) } : {}),
  };
}

export function errorBody(e: PdError): string {
  return JSON.stringify(errorObject(e));
}

export function sendPdError(reply: FastifyReply, e: PdError): FastifyReply {
  if (e.retryAfter !== undefined) reply.header('Retry-After', String(e.retryAfter));
  return reply.code(e.status).type('application/json; charset=utf-8').send(errorBody(e));
}

/** For hijacked responses. */
export function writePdError(res: import('node:http').ServerResponse, e: PdError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(e);
  res.writeHead(e.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
