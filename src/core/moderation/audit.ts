import { newId } from '../ids.js';

/** Who performs an admin action: an admin account, or the operator at the command line. */
export interface Actor {
  /** The admin's user id; null for the command line. */
  userId: string | null;
  /** The admin's username, or "cli". */
  name: string;
}

/** The operator at the command line. */
export const CLI_ACTOR: Actor = { userId: null, name: 'cli' };

export type AuditTarget = 'file' | 'user' | 'hash' | 'report' | 'invite' | 'instance';

export interface AuditEntry {
  id: string;
  /** Epoch ms. */
  at: number;
  actorId: string | null;
  actorName: string;
  /** What was done, as `<target>.<verb>`: file.block, user.disable, report.resolve... */
  action: string;
  targetType: AuditTarget;
  targetId: string;
  /** Why, as the admin gave it ('' if not). */
  reason: string;
  /** Further facts (the file's name, a quota's old and new values...). */
  details: Record<string, unknown>;
}

export interface AuditQuery {
  limit: number;
  offset: number;
  targetType?: AuditTarget;
  targetId?: string;
}

/** Storage port of the audit log (append only). */
export interface AuditRepository {
  insert(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<{ entries: AuditEntry[]; total: number }>;
}

/** Where the server's log hears of each recorded action (the server's logger; none in the CLI). */
export interface AuditLogger {
  info(obj: object, msg: string): void;
}

/**
 * Every admin action, written when it is done: who, what, on what, when, why. The admin area and
 * `stowage audit` show it; nothing deletes from it. A serving process also writes each one to
 * its log as an `admin` event (ids only: the reason and details stay in the audit log).
 */
export class AuditLog {
  private readonly now: () => number;
  private log: AuditLogger | null = null;

  constructor(
    private readonly repo: AuditRepository,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async record(
    actor: Actor,
    action: string,
    target: { type: AuditTarget; id: string },
    reason = '',
    details: Record<string, unknown> = {},
  ): Promise<AuditEntry> {
    const entry: AuditEntry = {
      id: newId(16),
      at: this.now(),
      actorId: actor.userId,
      actorName: actor.name,
      action,
      targetType: target.type,
      targetId: target.id,
      reason: reason.trim(),
      details,
    };
    await this.repo.insert(entry);
    this.log?.info(
      {
        event: 'admin',
        audit: entry.id,
        action,
        actor: actor.name,
        actorId: actor.userId,
        targetType: target.type,
        target: target.id,
      },
      `admin: ${action}`,
    );
    return entry;
  }

  /** Write each recorded action to this log from now on. */
  useLogger(log: AuditLogger): void {
    this.log = log;
  }

  list(query: Partial<AuditQuery> = {}): Promise<{ entries: AuditEntry[]; total: number }> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), 1000);
    const offset = Math.max(0, Math.floor(query.offset ?? 0));
    return this.repo.list({ ...query, limit, offset });
  }
}
