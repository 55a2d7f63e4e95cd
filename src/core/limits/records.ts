import type { FileRecord } from '../records.js';

/** Storage port of the limits: usage queries and the inactivity timer. */
export interface LimitsRepository {
  /**
   * How many files a user keeps and their total size (pixeldrain's storage_space_used): the
   * account's files and the file nodes of its filesystem tree.
   */
  usageOf(ownerId: string): Promise<{ count: number; bytes: number }>;
  /**
   * Total size of the user's files created at or after `since` and of its file nodes whose content
   * was written since then (both still stored).
   */
  uploadedSince(ownerId: string, since: number): Promise<number>;
  /**
   * Files whose inactivity timer (`last_download_at`) is at or before `cutoff` and whose owner (if
   * any) is not exempt, oldest first, at most `limit`.
   */
  listInactive(cutoff: number, limit: number): Promise<FileRecord[]>;
  /** Move these files' inactivity timers to `at` (a download reset them). */
  resetTimers(ids: readonly string[], at: number): Promise<void>;
  /** Ids of the accounts exempt from inactivity expiry. */
  exemptUsers(): Promise<string[]>;
}

export interface InviteRecord {
  /** SHA-256 (hex) of the code: the code itself is never stored. */
  codeHash: string;
  /** Who made it: an admin's user id, or "cli". */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** The account registered with it. */
  usedBy: string | null;
}

/** Storage port of registration invites. */
export interface InviteRepository {
  insert(invite: InviteRecord): Promise<void>;
  /** Newest first. */
  list(limit: number, offset: number): Promise<{ invites: InviteRecord[]; total: number }>;
  /**
   * Mark an unused, unexpired invite used (one statement: two registrations racing for one code
   * cannot both win); false when there is no such invite.
   */
  consume(codeHash: string, now: number, usedBy: string): Promise<boolean>;
  /** Undo `consume` (the registration failed after it). */
  release(codeHash: string): Promise<void>;
}
