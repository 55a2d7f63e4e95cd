import type { SharedState } from '../shared-state.js';

export const DAY_MS = 24 * 3600 * 1000;

/** A client's use of the per-IP allowances in the current day. */
export interface IpUsageNow {
  downloads: number;
  bytes: number;
  /** Captchas solved today: each one gives a further allowance. */
  solved: number;
}

interface Known extends IpUsageNow {
  day: number;
}

/**
 * Downloads and bytes per client IP per day, shared between nodes without a round trip per
 * request: each node sums locally and pushes its sums every `flushMs` (one INCRBY per counter and
 * IP), keeping the totals the shared state answers. A client's usage is those totals plus what
 * this node has not pushed yet; another node's share shows up after the next push (about a second).
 * Days are fixed windows of the core's clock (keys carry the day), so they also turn over under a
 * test clock.
 */
export class IpUsage {
  /** Not pushed yet, by `<day>|<ip>` (a day's sums go to that day's counters). */
  private pending = new Map<string, IpUsageNow>();
  private known = new Map<string, Known>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly state: SharedState,
    private readonly opts: { now: () => number; flushMs?: number; maxKnown?: number },
  ) {}

  private day(): number {
    return Math.floor(this.opts.now() / DAY_MS);
  }

  add(ip: string, d: Partial<IpUsageNow>): void {
    const k = `${this.day()}|${ip}`;
    let p = this.pending.get(k);
    if (!p) this.pending.set(k, (p = { downloads: 0, bytes: 0, solved: 0 }));
    p.downloads += d.downloads ?? 0;
    p.bytes += d.bytes ?? 0;
    p.solved += d.solved ?? 0;
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.flushMs ?? 1000);
      this.timer.unref();
    }
  }

  usage(ip: string): IpUsageNow {
    const day = this.day();
    const k = this.known.get(ip);
    const base = k && k.day === day ? k : { downloads: 0, bytes: 0, solved: 0 };
    const p = this.pending.get(`${day}|${ip}`);
    return {
      downloads: base.downloads + (p?.downloads ?? 0),
      bytes: base.bytes + (p?.bytes ?? 0),
      solved: base.solved + (p?.solved ?? 0),
    };
  }

  /** Push the local sums; the shared totals come back. Failures keep nothing (best effort). */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = (async () => {
      await Promise.all(
        [...batch].map(async ([dayIp, d]) => {
          const cut = dayIp.indexOf('|');
          const day = Number(dayIp.slice(0, cut));
          const ip = dayIp.slice(cut + 1);
          try {
            const totals = { day, downloads: 0, bytes: 0, solved: 0 };
            for (const field of ['downloads', 'bytes', 'solved'] as const) {
              const key = `ip:${field}:${day}:${ip}`;
              // Nothing to add: a zero increment still reads the total (one round trip).
              totals[field] = (await this.state.increment(key, DAY_MS, d[field])).count;
            }
            const held = this.known.get(ip);
            if (!held || held.day <= day) this.remember(ip, totals);
          } catch {
            // The shared state is away: these counts are lost, downloads go on.
          }
        }),
      );
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private remember(ip: string, k: Known): void {
    const max = this.opts.maxKnown ?? 100_000;
    if (this.known.size >= max) {
      let drop = Math.ceil(max / 10);
      for (const key of this.known.keys()) {
        this.known.delete(key);
        if (--drop === 0) break;
      }
    }
    this.known.delete(ip);
    this.known.set(ip, k);
  }

  close(): Promise<void> {
    return this.flush();
  }
}
