import { isIP } from 'node:net';
import type { FileRecord, UserRecord } from '../records.js';

export const FILE_SEARCH_BY = ['id', 'name', 'sha256', 'user', 'ip'] as const;
export type FileSearchBy = (typeof FILE_SEARCH_BY)[number];

/** A file as admins see it: with its owner's name and the scan's details. */
export interface AdminFileRecord {
  file: FileRecord;
  owner: { id: string; username: string } | null;
  scanEngine: string | null;
  scannedAt: number | null;
}

/** An account as admins see it: with its usage. */
export interface AdminUserRecord {
  user: UserRecord;
  fileCount: number;
  /** Bytes of the account's files. */
  storageUsed: number;
}

export interface InstanceStats {
  files: number;
  fileBytes: number;
  blobs: number;
  blobBytes: number;
  users: number;
  filesBlocked: number;
  hashesBlocked: number;
  /** Blobs by scan status; `pending` = not scanned yet. */
  scans: { pending: number; clean: number; infected: number; error: number; unscanned: number };
}

export interface Page {
  limit: number;
  offset: number;
}

/** Read-only queries of the admin area (port). */
export interface AdminSearchRepository {
  /** `name` and `user` match substrings, case-insensitively; the others exact values. */
  files(
    by: FileSearchBy,
    q: string,
    page: Page,
  ): Promise<{ files: AdminFileRecord[]; total: number }>;
  file(id: string): Promise<AdminFileRecord | null>;
  /** A user's files, newest first. */
  filesOf(userId: string, limit: number): Promise<AdminFileRecord[]>;
  /** Username or e-mail substring, case-insensitive; '' = everyone. Oldest first. */
  users(q: string, page: Page): Promise<{ users: AdminUserRecord[]; total: number }>;
  user(id: string): Promise<AdminUserRecord | null>;
  stats(): Promise<InstanceStats>;
}

/** What a search text most likely is: an 8-character id, a SHA-256, an address, else a name. */
export function guessSearchBy(q: string): FileSearchBy {
  const v = q.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return 'sha256';
  if (isIP(v)) return 'ip';
  if (/^[A-Za-z0-9]{8}$/.test(v)) return 'id';
  return 'name';
}

/** Escape `%`, `_` and the escape character itself for a LIKE pattern with ESCAPE '\'. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

const clampPage = (p: Partial<Page>): Page => ({
  limit: Math.min(Math.max(1, Math.floor(p.limit ?? 50) || 50), 500),
  offset: Math.max(0, Math.floor(p.offset ?? 0) || 0),
});

/** Finding files and accounts, and the instance's totals (admins only: the HTTP guard decides). */
export class AdminSearch {
  constructor(private readonly repo: AdminSearchRepository) {}

  files(q: string, by?: FileSearchBy, page: Partial<Page> = {}) {
    const v = q.trim();
    if (!v) return this.repo.files('name', '', clampPage(page));
    const how = by ?? guessSearchBy(v);
    return this.repo.files(how, how === 'sha256' ? v.toLowerCase() : v, clampPage(page));
  }

  file(id: string): Promise<AdminFileRecord | null> {
    return this.repo.file(id);
  }

  filesOf(userId: string, limit = 50): Promise<AdminFileRecord[]> {
    return this.repo.filesOf(userId, limit);
  }

  users(q: string, page: Partial<Page> = {}) {
    return this.repo.users(q.trim(), clampPage(page));
  }

  user(id: string): Promise<AdminUserRecord | null> {
    return this.repo.user(id);
  }

  stats(): Promise<InstanceStats> {
    return this.repo.stats();
  }
}
