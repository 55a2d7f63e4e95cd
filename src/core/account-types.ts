import type { PasswordLimiter } from './passwords.js';
import type { AccessLevel, ApiKeyRecord } from './records.js';

/** Who is making a request: a user, through one API key. */
export interface Principal {
  userId: string;
  username: string;
  isAdmin: boolean;
  keyHash: string;
  /** Public handle of the key used (see ApiKeyRecord.keyId). */
  keyId: string;
  /** What the key may do (FileBin levels; pixeldrain sessions are full). */
  accessLevel: AccessLevel;
}

/** Options of a new key: its level, and the key format (UUID, or FileBin's 32 alphanumerics). */
export interface KeyOptions {
  accessLevel?: AccessLevel;
  format?: 'uuid' | 'alnum';
}

/** Where a session is created from (kept with the key, shown in the session list). */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export interface NewSession {
  /** The API key itself: shown once, only its hash is kept. */
  key: string;
  record: ApiKeyRecord;
}

export interface UserChanges {
  username?: string;
  email?: string;
  password?: string;
}

/** Registration invites (core/limits InviteService). */
export interface InviteGate {
  consume(code: string, usedBy: string): Promise<void>;
  release(code: string): Promise<void>;
}

export interface AccountServiceOptions {
  /** open: anyone; closed: nobody (the CLI still can); invite: with an admin's invite code. */
  registration: 'open' | 'closed' | 'invite';
  /** Required for `invite` registration. */
  invites?: InviteGate;
  /** The one limit on password checks (and registrations); none: unlimited (CLI, unit tests). */
  passwordLimiter?: PasswordLimiter;
  now?: () => number;
}

/** Removes everything a user owns before the account goes (files live in FileService). */
export type OwnedDataRemover = (userId: string) => Promise<void>;
