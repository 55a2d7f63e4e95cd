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
  | 'upload_aborted'
  | 'storage_failed'
  | 'user_exists'
  | 'user_not_found'
  | 'invalid_username'
  | 'key_not_found';

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
