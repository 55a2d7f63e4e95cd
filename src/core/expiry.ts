import { randomUUID } from 'node:crypto';
import type { FileService } from './files.js';

/**
 * Expiring files. `FileService.get` stops serving a file at its expiry time; this sweep deletes
 * expired files through the normal delete path (blob references respected). It runs on an
 * interval in every serving process and one node at a time: a lease row in the database says
 * who runs it.
 */

/** Port: named leases in the shared database (portable: a conditional UPDATE decides). */
export interface LockRepository {
  /** Take or renew the lease `name` for `holder` until now + ttlMs; false if someone else holds it. */
  tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Give the lease up (only if `holder` still holds it). */
  release(name: string, holder: string): Promise<void>;
}

export interface ExpirySweeperOptions {
  /** Time between sweeps; 0 = never on a timer (runOnce only). */
  intervalMs: number;
  /** Files deleted per batch. */
  batch?: number;
  now?: () => number;
  /** Errors of a sweep (logged by the caller; the next sweep tries again). */
  onError?: (err: unknown) => void;
}

export const EXPIRY_LOCK = 'expiry-sweep';

export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly holder = randomUUID();
  private readonly now: () => number;

  constructor(
    private readonly files: FileService,
    private readonly locks: LockRepository,
    private readonly opts: ExpirySweeperOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer || this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.opts.onError?.(err));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /**
   * One sweep, if this node gets the lease: delete expired files in batches until none are left.
   * Returns how many were deleted (0 as well when another node holds the lease).
   */
  runOnce(): Promise<number> {
    if (!this.running) {
      this.running = this.sweep().finally(() => (this.running = null));
    }
    return this.running;
  }

  private async sweep(): Promise<number> {
    // The lease outlives a slow sweep's batches: it is renewed before each one.
    const ttl = Math.max(60_000, this.opts.intervalMs * 2);
    const batch = this.opts.batch ?? 500;
    let total = 0;
    try {
      for (;;) {
        if (!(await this.locks.tryAcquire(EXPIRY_LOCK, this.holder, ttl, this.now()))) {
          return total;
        }
        const n = await this.files.deleteExpired(batch);
        total += n;
        if (n < batch) return total;
      }
    } finally {
      await this.locks.release(EXPIRY_LOCK, this.holder).catch(() => {});
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}

const ISO_DURATION =
  /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?!$)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Seconds per unit, with calendar units at their usual averages (a year is 365 days, a month 30). */
const UNIT_SECONDS = [365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1];

/**
 * A duration in seconds: plain digits (seconds) or an ISO 8601 duration (`PT5M`, `P1D`, `P1Y2M`,
 * `P2W`). Null when it is neither.
 */
export function parseDurationSeconds(raw: string): number | null {
  const v = raw.trim();
  if (/^\d{1,15}$/.test(v)) return Number(v);
  const m = ISO_DURATION.exec(v.toUpperCase());
  if (!m) return null;
  let seconds = 0;
  for (let i = 0; i < UNIT_SECONDS.length; i++) {
    const part = m[i + 1];
    if (part) seconds += Number(part.replace(',', '.')) * UNIT_SECONDS[i]!;
  }
  return Number.isFinite(seconds) ? Math.round(seconds) : null;
}
