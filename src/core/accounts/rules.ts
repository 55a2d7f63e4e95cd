import { CoreError, type ValidationIssue } from '../errors.js';
import { UniqueViolation } from '../records.js';
import { checkCharacters, checkLength } from '../validate.js';

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 64;
const USERNAME_CHAR = /^[A-Za-z0-9_.-]$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const APP_NAME_MAX = 255;

/** A disabled account (admin action): pixeldrain's 403 account_banned. */
export function disabledError(): CoreError {
  return new CoreError(
    'account_disabled',
    'This account has been disabled by the administrators of this server',
  );
}

export function validateUsername(field: string, username: string): ValidationIssue | null {
  return (
    checkLength(field, username, USERNAME_MIN, USERNAME_MAX) ??
    checkCharacters(field, username, USERNAME_CHAR)
  );
}

export function validatePassword(field: string, password: string): ValidationIssue | null {
  return checkLength(field, password, PASSWORD_MIN, PASSWORD_MAX);
}

/** A unique index refusing a username or e-mail: user_exists or email_exists. */
export function uniqueError(err: unknown): unknown {
  if (err instanceof UniqueViolation) {
    return err.field === 'email'
      ? new CoreError('email_exists', 'This e-mail address is already registered')
      : new CoreError('user_exists', 'This username is already taken');
  }
  return err;
}
