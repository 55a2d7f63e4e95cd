import { CoreError } from './errors.js';
import { ACCESS_LEVELS, type AccessLevel } from './records.js';

/**
 * What a key may do, by its level (FileBin's levels, on every API): `basic` only uploads (and
 * makes lists or multipastes of files); `apikey` also reads and changes what the account owns
 * (its files, lists, history); `full` (a login session, or a key made as full) also manages the
 * account and its keys. The services check this themselves, so no dialect can forget it.
 */
export type Action =
  /** Upload, grab a file into the account, make a list or multipaste. */
  | 'upload'
  /** List the account's files and lists, see its profile and usage. */
  | 'read_own'
  /** Rename or delete the account's files, edit or delete its lists. */
  | 'edit_own'
  /** Create, list or revoke the account's keys (revoking the key in use is always allowed). */
  | 'manage_keys'
  /** Change the account's name, e-mail or password, or delete it. */
  | 'manage_account';

const REQUIRED: Record<Action, AccessLevel> = {
  upload: 'basic',
  read_own: 'apikey',
  edit_own: 'apikey',
  manage_keys: 'full',
  manage_account: 'full',
};

/** Whether a level is at least another (basic < apikey < full). */
export function levelAtLeast(have: AccessLevel, wanted: AccessLevel): boolean {
  return ACCESS_LEVELS.indexOf(have) >= ACCESS_LEVELS.indexOf(wanted);
}

/** The level an action needs. */
export function requiredLevel(action: Action): AccessLevel {
  return REQUIRED[action];
}

/** Whether a caller whose key has this level may do this. */
export function can(caller: { accessLevel: AccessLevel }, action: Action): boolean {
  return levelAtLeast(caller.accessLevel, REQUIRED[action]);
}

/** Refuse with `insufficient_access` (extra: `required`, `have`) unless the caller `can`. */
export function requireAccess(caller: { accessLevel: AccessLevel }, action: Action): void {
  if (can(caller, action)) return;
  const required = REQUIRED[action];
  throw new CoreError(
    'insufficient_access',
    `Access level too low. Required: ${required}; Have: ${caller.accessLevel}`,
    { required, have: caller.accessLevel },
  );
}
