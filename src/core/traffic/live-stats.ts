import { CoreError } from '../errors.js';
import { noTelemetry, type Telemetry } from '../telemetry.js';
import { emptyDelta, type CounterDelta } from './records.js';

/** A file's counters as the viewer shows them (stored plus not yet written). */
export type LiveCounters = CounterDelta;

/** Reads the stored counters of files (one query per call; missing files are left out). */
export interface CounterReader {
  readCounters(ids: readonly string[]): Promise<Map<string, CounterDelta>>;
}

export interface LiveStatsOptions {
  /** How often the subscribed files' counters are read again, in ms (default 1000). */
  pollMs?: number;
  /** Counted on this node but not written yet (TrafficService.pending). */
  pending?: (id: string) => CounterDelta | undefined;
  /** The websocket_subscribers gauge. */
  telemetry?: Telemetry;
  /** Ids per read (one query each); default 500. */
  batch?: number;
}

export type StatsListener = (counters: LiveCounters) => void;

interface Watched {
  listeners: Set<StatsListener>;
  /** What the listeners were last told (counters only grow: a smaller read is a flush in progress). */
  last: LiveCounters;
}

/**
 * Live counters for the viewer's websocket: listeners subscribe to a file and hear its counters
 * now and whenever they change. One timer for all subscriptions reads the subscribed files'
 * stored counters in batches (so changes written by other nodes are seen) and adds what this
 * node counted but has not written yet. No timer runs while nobody listens.
 */
export class LiveStats {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private closed = false;
  private subscribers = 0;
  private readonly pollMs: number;
  private readonly telemetry: Telemetry;

  constructor(
    private readonly reader: CounterReader,
    private readonly opts: LiveStatsOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1000;
    this.telemetry = opts.telemetry ?? noTelemetry;
  }

  /** Listeners in total (all files). */
  get size(): number {
    return this.subscribers;
  }

  /** Whether the poll timer is running (tests). */
  get running(): boolean {
    return this.timer !== null;
  }

  /**
   * Subscribe to a file's counters: the listener hears them at once and on every change. Throws
   * not_found for a file that does not exist. Returns the unsubscribe function (idempotent).
   */
  async subscribe(fileId: string, listener: StatsListener): Promise<() => void> {
    if (this.closed)
      throw new CoreError('not_found', 'The entity you requested could not be found');
    const stored = (await this.reader.readCounters([fileId])).get(fileId);
    if (!stored) throw new CoreError('not_found', 'The entity you requested could not be found');
    if (this.closed)
      throw new CoreError('not_found', 'The entity you requested could not be found');
    let w = this.watched.get(fileId);
    const current = this.current(fileId, stored, w?.last);
    if (!w) this.watched.set(fileId, (w = { listeners: new Set(), last: current }));
    else if (!sameCounters(current, w.last)) {
      // Newer than what the file's listeners were told: they hear it too.
      w.last = current;
      for (const l of [...w.listeners]) safeCall(l, current);
    }
    // A listener function may subscribe to several files: wrap it so each subscription is its own.
    const own: StatsListener = (c) => listener(c);
    w.listeners.add(own);
    this.subscribers++;
    this.telemetry.gauge('websocket_subscribers', 1);
    this.start();
    safeCall(own, current);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const entry = this.watched.get(fileId);
      if (!entry?.listeners.delete(own)) return;
      this.subscribers--;
      this.telemetry.gauge('websocket_subscribers', -1);
      if (entry.listeners.size === 0) this.watched.delete(fileId);
      if (this.watched.size === 0) this.stop();
    };
  }

  /** Read every subscribed file's counters now and tell listeners what changed. */
  poll(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = this.readAll().finally(() => (this.polling = null));
    return this.polling;
  }

  /** Stop the timer and drop every subscription. */
  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    if (this.subscribers > 0) this.telemetry.gauge('websocket_subscribers', -this.subscribers);
    this.subscribers = 0;
    this.watched.clear();
    await this.polling;
  }

  private async readAll(): Promise<void> {
    const ids = [...this.watched.keys()];
    const batch = this.opts.batch ?? 500;
    for (let i = 0; i < ids.length; i += batch) {
      const chunk = ids.slice(i, i + batch);
      let stored: Map<string, CounterDelta>;
      try {
        stored = await this.reader.readCounters(chunk);
      } catch {
        // The database is unreachable for now: the next tick tries again.
        return;
      }
      for (const id of chunk) {
        const w = this.watched.get(id);
        const s = stored.get(id);
        // Unsubscribed meanwhile, or deleted (its listeners keep the last counters).
        if (!w || !s) continue;
        const next = this.current(id, s, w.last);
        if (sameCounters(next, w.last)) continue;
        w.last = next;
        for (const l of [...w.listeners]) safeCall(l, next);
      }
    }
  }

  /** Stored plus pending, never below what was already told (a flush moves pending to stored). */
  private current(id: string, stored: CounterDelta, last: LiveCounters | undefined): LiveCounters {
    const p = this.opts.pending?.(id) ?? emptyDelta();
    const c: LiveCounters = {
      views: stored.views + p.views,
      downloads: stored.downloads + p.downloads,
      bandwidth: stored.bandwidth + p.bandwidth,
      bandwidthPaid: stored.bandwidthPaid + p.bandwidthPaid,
    };
    if (!last) return c;
    return {
      views: Math.max(c.views, last.views),
      downloads: Math.max(c.downloads, last.downloads),
      bandwidth: Math.max(c.bandwidth, last.bandwidth),
      bandwidthPaid: Math.max(c.bandwidthPaid, last.bandwidthPaid),
    };
  }

  private start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function sameCounters(a: LiveCounters, b: LiveCounters): boolean {
  return (
    a.views === b.views &&
    a.downloads === b.downloads &&
    a.bandwidth === b.bandwidth &&
    a.bandwidthPaid === b.bandwidthPaid
  );
}

/** A listener that throws (a socket gone bad) must not stop the others. */
function safeCall(l: StatsListener, c: LiveCounters): void {
  try {
    l(c);
  } catch {
    // the listener's own business
  }
}
