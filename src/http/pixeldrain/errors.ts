import type { FastifyReply } from 'fastify';
import type { CoreErrorCode } from '../../core/errors.js';
import { CoreError } from '../../core/errors.js';

export interface PdError {
  status: number;
  value: string;
  message: string;
  extra?: Record<string, unknown>;
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
};

export const INTERNAL: PdError = {
  status: 500,
  value: 'internal',
  message: 'An internal server error occurred',
};

export function toPdError(err: unknown): PdError {
  if (err instanceof CoreError)
    return { ...TABLE[err.code], ...(err.extra ? { extra: err.extra } : {}) };
  return INTERNAL;
}

export function errorBody(e: PdError): string {
  return JSON.stringify({
    success: false,
    value: e.value,
    message: e.message,
    ...(e.extra ? { extra: e.extra } : {}),
  });
}

export function sendPdError(reply: FastifyReply, e: PdError): FastifyReply {
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
