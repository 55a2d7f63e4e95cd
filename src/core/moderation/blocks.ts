import { CoreError, invalidInput } from '../errors.js';
import type { FileService } from '../files.js';
import type { FileRecord } from '../records.js';
import type { Actor, AuditLog } from './audit.js';
import { ABUSE_TYPES } from './abuse-types.js';

export interface FileBlock {
  abuseType: string;
  reason: string;
  at: number;
}

export interface BlockedHash {
  sha256: string;
  reason: string;
  createdAt: number;
  /** The actor's name. */
  createdBy: string;
}

/** Storage port of file blocks and blocked content hashes. */
export interface BlockRepository {
  /** Set (or, with null, clear) the block of these files; how many files there were. */
  setBlock(fileIds: readonly string[], block: FileBlock | null): Promise<number>;
  /** The ids of the files holding this content. */
  fileIdsWithContent(sha256: string): Promise<string[]>;
  /** False when the hash was blocked already (nothing changed). */
  insertHash(hash: BlockedHash): Promise<boolean>;
  deleteHash(sha256: string): Promise<boolean>;
  isHashBlocked(sha256: string): Promise<boolean>;
  /** Up to `limit` blocked hashes (any order). */
  someHashes(limit: number): Promise<string[]>;
  /** Newest first. */
  listHashes(limit: number, offset: number): Promise<{ hashes: BlockedHash[]; total: number }>;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** How long the uploads' set of blocked hashes is used before it is read again. */
export const SCREEN_REFRESH_MS = 2000;
/** More blocked hashes than this are not kept in memory: each upload asks the database. */
const SCREEN_MAX_KEPT = 100_000;

/** A SHA-256 as hex, lower case; invalid_input if it is not one. */
export function normalizeSha256(raw: string): string {
  const v = raw.trim().toLowerCase();
  if (!SHA256.test(v))
    throw invalidInput([
      { field: 'sha256', problem: 'out_of_range', min: 64, max: 64, len: v.length },
    ]);
  return v;
}

/** An abuse type (default `other`); invalid_input (invalid_enum) when it is not one. */
export function abuseTypeOf(raw: string | undefined): string {
  const v = (raw ?? '').trim() || 'other';
  if (!(ABUSE_TYPES as readonly string[]).includes(v))
    throw invalidInput([{ field: 'type', problem: 'invalid_enum', allowed: ABUSE_TYPES }]);
  return v;
}

/**
 * Admin blocks: a blocked file answers 451 to everyone but admins (the download rules), its
 * viewer shows the reason; a blocked SHA-256 cannot be uploaded again. Every change is written to
 * the audit log. This node forgets the file's cached record at once; other nodes' caches hold a
 * record for at most FileService's cache TTL (1 s by default).
 */
export class BlockService {
  private readonly now: () => number;
  /** Blocked hashes known here (null: too many to keep, ask the database), and when read. */
  private known: { hashes: Set<string> | null; at: number } | null = null;
  private reading: Promise<Set<string> | null> | null = null;

  constructor(
    private readonly repo: BlockRepository,
    private readonly files: FileService,
    private readonly audit: AuditLog,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async block(
    fileId: string,
    type: string | undefined,
    reason: string,
    actor: Actor,
    details: Record<string, unknown> = {},
  ): Promise<FileRecord> {
    const abuseType = abuseTypeOf(type);
    const file = await this.files.get(fileId);
    await this.repo.setBlock([file.id], { abuseType, reason: reason.trim(), at: this.now() });
    this.files.forget(file.id);
    await this.audit.record(actor, 'file.block', { type: 'file', id: file.id }, reason, {
      name: file.name,
      type: abuseType,
      ...details,
    });
    return this.files.get(file.id);
  }

  async unblock(fileId: string, reason: string, actor: Actor): Promise<FileRecord> {
    const file = await this.files.get(fileId);
    await this.repo.setBlock([file.id], null);
    this.files.forget(file.id);
    await this.audit.record(actor, 'file.unblock', { type: 'file', id: file.id }, reason, {
      name: file.name,
      was: file.abuseType ?? null,
    });
    return this.files.get(file.id);
  }

  /** Delete a file whoever owns it. */
  async deleteFile(fileId: string, reason: string, actor: Actor): Promise<void> {
    const file = await this.files.get(fileId);
    await this.files.deleteAsAdmin(file.id);
    await this.audit.record(actor, 'file.delete', { type: 'file', id: file.id }, reason, {
      name: file.name,
      size: file.size,
      sha256: file.blobKey,
      owner_id: file.ownerId,
    });
  }

  /**
   * Block a content hash: uploads of these bytes are refused from now on; with `blockFiles`, the
   * files holding them now are blocked too (abuse type `type`, default other). The number of files
   * blocked.
   */
  async blockHash(
    raw: string,
    reason: string,
    actor: Actor,
    opts: { blockFiles?: boolean; type?: string } = {},
  ): Promise<number> {
    const sha256 = normalizeSha256(raw);
    const abuseType = abuseTypeOf(opts.type);
    await this.repo.insertHash({
      sha256,
      reason: reason.trim(),
      createdAt: this.now(),
      createdBy: actor.name,
    });
    this.known?.hashes?.add(sha256);
    let blocked = 0;
    if (opts.blockFiles) {
      const ids = await this.repo.fileIdsWithContent(sha256);
      blocked = await this.repo.setBlock(ids, { abuseType, reason: reason.trim(), at: this.now() });
      ids.forEach((id) => this.files.forget(id));
    }
    await this.audit.record(actor, 'hash.block', { type: 'hash', id: sha256 }, reason, {
      block_files: !!opts.blockFiles,
      files_blocked: blocked,
    });
    return blocked;
  }

  async unblockHash(raw: string, reason: string, actor: Actor): Promise<void> {
    const sha256 = normalizeSha256(raw);
    if (!(await this.repo.deleteHash(sha256)))
      throw new CoreError('not_found', 'This hash is not blocked');
    this.known?.hashes?.delete(sha256);
    await this.audit.record(actor, 'hash.unblock', { type: 'hash', id: sha256 }, reason);
  }

  listHashes(limit = 50, offset = 0): Promise<{ hashes: BlockedHash[]; total: number }> {
    return this.repo.listHashes(Math.min(Math.max(1, limit), 500), Math.max(0, offset));
  }

  /**
   * The upload hook (FileServiceOptions.screen): content_blocked for a blocked SHA-256. Uploads
   * ask a set kept in memory (blocked hashes are few: admins add them by hand), read again at most
   * every SCREEN_REFRESH_MS, so a hash blocked on another node is refused there within that time
   * (on this node at once). Past SCREEN_MAX_KEPT hashes each upload asks the database.
   */
  async screen(sha256: string): Promise<void> {
    if (await this.isBlocked(sha256))
      throw new CoreError('content_blocked', 'This content has been blocked on this server');
  }

  /** Whether a SHA-256 is blocked (the same set as `screen`: filesystem nodes are served by it). */
  async isBlocked(sha256: string): Promise<boolean> {
    const hashes = await this.blockedHashes();
    return hashes ? hashes.has(sha256) : this.repo.isHashBlocked(sha256);
  }

  private async blockedHashes(): Promise<Set<string> | null> {
    const at = this.now();
    if (this.known && at - this.known.at < SCREEN_REFRESH_MS) return this.known.hashes;
    this.reading ??= this.repo
      .someHashes(SCREEN_MAX_KEPT + 1)
      .then((list) => {
        const hashes = list.length > SCREEN_MAX_KEPT ? null : new Set(list);
        this.known = { hashes, at };
        return hashes;
      })
      .finally(() => (this.reading = null));
    return this.reading;
  }
}
