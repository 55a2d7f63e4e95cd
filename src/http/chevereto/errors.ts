import type { FastifyReply } from 'fastify';
import type { CoreErrorCode } from '../../core/errors.js';
import { CoreError } from '../../core/errors.js';
import { RemoteFetchError, type RemoteFailure } from '../../core/remote.js';
import { BodyError } from '../common/form.js';
import { Base64Error } from './base64.js';

/** An error as Chevereto reports it: `{"message":…,"code":…}` inside its envelope (spec 2.3). */
export interface ChvError {
  message: string;
  code: number;
}

/** A Chevereto error decided by the adapter itself (request shape: version, key, source...). */
export class ChvFailure extends Error {
  constructor(readonly error: ChvError) {
    super(error.message);
  }
}

export const fail = (message: string, code: number): ChvFailure =>
  new ChvFailure({ message, code });

/**
 * The one mapping from core errors to Chevereto's errors (messages and codes of V4 where it has
 * one; `%max%` is replaced by the size limit).
 */
const TABLE: Record<CoreErrorCode, ChvError> = {
  not_found: { message: "Can't get target upload source info", code: 610 },
  no_file: { message: 'Empty source', code: 130 },
  file_too_large: { message: 'File too big - max %max%', code: 400 },
  name_out_of_range: { message: 'Invalid file source', code: 620 },
  name_illegal_character: { message: 'Invalid file source', code: 620 },
  too_many_ids: { message: 'Invalid file source', code: 620 },
  authentication_required: { message: 'Request denied', code: 401 },
  authentication_failed: { message: 'Invalid API key.', code: 100 },
  forbidden: { message: 'Request denied', code: 401 },
  insufficient_access: { message: 'Request denied', code: 401 },
  rate_limited: { message: 'Too many requests', code: 429 },
  upload_aborted: { message: 'The uploaded file was only partially uploaded', code: 601 },
  storage_failed: { message: 'The file could not be stored', code: 104 },
  user_exists: { message: 'Request denied', code: 401 },
  user_not_found: { message: 'Invalid API key.', code: 100 },
  invalid_username: { message: 'Request denied', code: 401 },
  key_not_found: { message: 'Invalid API key.', code: 100 },
  invalid_thumbnail_size: { message: 'Invalid image', code: 400 },
  invalid_input: { message: 'Invalid file source', code: 620 },
  password_incorrect: { message: 'Invalid API key.', code: 100 },
  no_login_method: { message: 'Invalid API key.', code: 100 },
  registration_closed: { message: 'Request denied', code: 401 },
  email_exists: { message: 'Request denied', code: 401 },
  list_file_not_found: { message: 'Invalid file source', code: 620 },
  too_many_files: { message: 'Invalid file source', code: 620 },
  title_too_long: { message: 'Invalid file source', code: 620 },
  description_too_long: { message: 'Invalid file source', code: 620 },
  empty_list: { message: 'Invalid file source', code: 620 },
  // Chevereto's "storage full" (104) for the account's quotas, its flood protection (130) for the
  // anonymous uploads of an address.
  user_out_of_space: { message: 'No space left on storage', code: 104 },
  file_limit_reached: { message: 'No space left on storage: too many files', code: 104 },
  anonymous_upload_limit: {
    message: 'Flooding detected. You can only upload %limit% %content% per day',
    code: 130,
  },
  invite_invalid: { message: 'Request denied', code: 401 },
  file_already_blocked: { message: 'Request denied', code: 401 },
  already_reported: { message: 'Request denied', code: 401 },
  // A blocked SHA-256: Chevereto has no such check; its refusal of unwanted content is closest.
  content_blocked: { message: 'Request denied', code: 403 },
  account_disabled: { message: 'Request denied', code: 401 },
  cannot_modify_self: { message: 'Request denied', code: 401 },
  too_many_pending_uploads: { message: 'Too many requests', code: 429 },
  invalid_domain_name: { message: 'Invalid request', code: 400 },
};

/** URL sources: Chevereto's `Invalid image URL` (622) with the reason, or the size error. */
const REMOTE: Record<RemoteFailure, number> = {
  invalid_url: 622,
  forbidden_address: 622,
  unreachable: 622,
  too_many_redirects: 622,
  http_status: 622,
  too_large: 400,
  timeout: 622,
  disabled: 403,
  cancelled: 622,
};

export const INTERNAL: ChvError = { message: 'Internal error', code: 500 };

export function toChvError(err: unknown, maxFileSize: number): ChvError {
  if (err instanceof ChvFailure) return err.error;
  if (err instanceof Base64Error) {
    return err.reason === 'empty'
      ? { message: 'Empty source', code: 130 }
      : { message: 'Invalid base64 string', code: 120 };
  }
  if (err instanceof RemoteFetchError) {
    if (err.reason === 'too_large') return tooBig(maxFileSize);
    if (err.reason === 'disabled') return { message: 'URL uploading is disabled', code: 403 };
    return { message: `Invalid image URL: ${err.message}`, code: REMOTE[err.reason] };
  }
  if (err instanceof BodyError) {
    return err.reason === 'too_large'
      ? tooBig(maxFileSize)
      : { message: 'The uploaded file was only partially uploaded', code: 601 };
  }
  if (err instanceof CoreError) {
    if (err.code === 'file_too_large') return tooBig(maxFileSize);
    if (err.code === 'anonymous_upload_limit') {
      const max = Number(err.extra?.max ?? 0);
      const bytes = err.extra?.kind === 'bytes';
      return {
        ...TABLE.anonymous_upload_limit,
        message: TABLE.anonymous_upload_limit.message
          .replace('%limit%', bytes ? formatBytes(max) : String(max))
          .replace(' %content%', bytes ? '' : ' images'),
      };
    }
    return TABLE[err.code];
  }
  return INTERNAL;
}

function tooBig(max: number): ChvError {
  return { message: TABLE.file_too_large.message.replace('%max%', formatBytes(max)), code: 400 };
}

/** Chevereto's size text: 1024-based, one decimal, "17.4 KB", "3 MB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = i === 0 ? String(v) : String(Math.round(v * 10) / 10);
  return `${text} ${units[i]}`;
}

export type Format = 'json' | 'txt' | 'redirect';

/**
 * JSON: HTTP 400 with Chevereto's envelope, never cached. txt and redirect: the bare message with
 * HTTP 200, as Chevereto answers them.
 */
export function sendChvError(reply: FastifyReply, e: ChvError, format: Format): FastifyReply {
  reply.header('Cache-Control', 'no-cache, must-revalidate').header('Pragma', 'no-cache');
  if (format !== 'json') {
    return reply.code(200).type('text/plain; charset=utf-8').send(e.message);
  }
  const body = {
    status_code: 400,
    error: { message: e.message, code: e.code },
    status_txt: 'Bad Request',
  };
  return reply.code(400).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
