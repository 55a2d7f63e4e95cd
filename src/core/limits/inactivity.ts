import { CoreError } from '../errors.js';
import type { FileRecord } from '../records.js';
import type { LimitsRepository } from './records.js';

const DAY_MS = 24 * 3600 * 1000;
/** How long the set of exempt accounts is trusted before it is read again (other nodes' changes). */
const EXEMPT_TTL_MS = 60_000;
/** Local "reset today" marks kept at most (then forgotten: the record's own time still applies). */
const MAX_MARKS = 100_000;

export interface InactivityOptions {
  /** STOWAGE_FILE_EXPIRY_DAYS: a file not downloaded for this many days goes; 0 = never. */
  days: number;
  /** Timer resets are written in batches at most this often (default 2 s). */
  flushMs?: number;
  now?: () => number;
  /** Deletes a file through the normal path (blob references respected). */
  remove: (file: FileRecord) => Promise<void>;
  /** After resets are written, with the files they touched (the file cache drops them). */
  onFlushed?: (ids: readonly string[]) => void;
}

/**
 * Inactivity expiry, as pixeldrain's: a file not downloaded for `days` is deleted by the expiry
 * sweeper, unless its owner is exempt. A download that sends more than 10% of the file in one
 * request resets the timer, at most once a day per file: the download path only compares numbers
 * (a local mark per file says "reset today"), and the resets are written in batches, like the
 * traffic counters. Two nodes may each reset a file once the same day; the write is idempotent.
 */
export class InactivityExpiry {
  private readonly now: () => number;
  private pending = new Set<string>();
  private readonly marks = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private exempt = new Set<string>();
  private exemptAt = -Infinity;
  private exemptLoading: Promise<void> | null = null;

  constructor(
    private readonly repo: LimitsRepository,
    private readonly opts: InactivityOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get days(): number {
    return this.opts.days;
  }

  /** A response sent `bytes` of `file` (call once per request, when it ends). */
  downloaded(
    file: Pick<FileRecord, 'id' | 'size' | 'createdAt' | 'lastDownloadAt'>,
    bytes: number,
  ): void {
    if (this.opts.days <= 0 || bytes * 10 <= file.size) return;
    const now = this.now();
    if (now - this.timerOf(file) < DAY_MS) return;
    if (this.marks.size >= MAX_MARKS) this.marks.clear();
    this.marks.set(file.id, now);
    this.pending.add(file.id);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => {}), this.opts.flushMs ?? 2000);
      this.timer.unref();
    }
  }

  /** Write the pending timer resets. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      await this.repo.resetTimers(ids, this.now());
    } catch {
      // Best effort, as the traffic counters: a lost reset is tried again by the next download.
      for (const id of ids) this.marks.delete(id);
    }
    this.opts.onFlushed?.(ids);
  }

  /**
   * When the file goes (epoch ms): the earlier of its explicit expiry (Chevereto's expiration) and
   * the inactivity deadline; null = never. Exempt owners are read from a set refreshed every minute.
   */
  deleteAfter(
    file: Pick<FileRecord, 'id' | 'ownerId' | 'createdAt' | 'lastDownloadAt' | 'expiresAt'>,
  ): number | null {
    this.refreshExempt();
    const explicit = file.expiresAt ?? null;
    const exempt = file.ownerId !== null && this.exempt.has(file.ownerId);
    const inactive =
      this.opts.days > 0 && !exempt ? this.timerOf(file) + this.opts.days * DAY_MS : null;
    if (explicit === null) return inactive;
    return inactive === null ? explicit : Math.min(explicit, inactive);
  }

  /** Delete up to `limit` inactive files; returns how many went. */
  async sweep(limit = 500): Promise<number> {
    if (this.opts.days <= 0) return 0;
    await this.flush();
    const expired = await this.repo.listInactive(this.now() - this.opts.days * DAY_MS, limit);
    let deleted = 0;
    for (const f of expired) {
      try {
        await this.opts.remove(f);
        deleted++;
      } catch (err) {
        if (!(err instanceof CoreError && err.code === 'not_found')) throw err;
      }
    }
    return deleted;
  }

  /** An account's exemption changed here: effective at once on this node. */
  exemptChanged(userId: string, exempt: boolean): void {
    if (exempt) this.exempt.add(userId);
    else this.exempt.delete(userId);
  }

  /** Read the exempt accounts now (at start; later reads happen by themselves). */
  async loadExempt(): Promise<void> {
    this.exempt = new Set(await this.repo.exemptUsers());
    this.exemptAt = this.now();
  }

  close(): Promise<void> {
    return this.flush();
  }

  private timerOf(file: Pick<FileRecord, 'id' | 'createdAt' | 'lastDownloadAt'>): number {
    return Math.max(file.lastDownloadAt ?? file.createdAt, this.marks.get(file.id) ?? -Infinity);
  }

  private refreshExempt(): void {
    if (this.exemptLoading || this.now() - this.exemptAt < EXEMPT_TTL_MS) return;
    this.exemptAt = this.now();
    this.exemptLoading = this.loadExempt()
      .catch(() => {})
      .finally(() => (this.exemptLoading = null));
  }
}
