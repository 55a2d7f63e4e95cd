import type { SharedState } from '../shared-state.js';
import { CounterBuffer } from './counters.js';
import { OncePerClient } from './marks.js';
import type { CounterDelta, TrafficRepository } from './records.js';

/** A client's repeated views or downloads of one file count once within this window. */
export const UNIQUE_WINDOW_MS = 24 * 3600 * 1000;

export interface TrafficOptions {
  /** Counters are summed in memory and written at most this often (default 1 s). */
  flushMs?: number;
  now?: () => number;
  /** After a batch is written, with the files it touched (the file cache drops them). */
  onFlushed?: (ids: readonly string[]) => void;
}

/** Whether the bytes went to a downloader exempt from the rules (counted as paid bandwidth). */
export interface TransferContext {
  exempt?: boolean;
}

/**
 * Views, downloads and bandwidth. Views and downloads count once per client and file a day (the
 * marks are shared between nodes); bandwidth counts every byte sent. Nothing here waits on the
 * database or the shared state: events are summed in memory and written in batches.
 */
export class TrafficService {
  private readonly counters: CounterBuffer;
  private readonly marks: OncePerClient;
  private readonly now: () => number;

  constructor(repo: TrafficRepository, state: SharedState, opts: TrafficOptions = {}) {
    const now = opts.now ?? Date.now;
    this.now = now;
    this.counters = new CounterBuffer(repo, {
      flushMs: opts.flushMs ?? 1000,
      now,
      ...(opts.onFlushed ? { onFlushed: opts.onFlushed } : {}),
    });
    this.marks = new OncePerClient(state, { ttlMs: UNIQUE_WINDOW_MS, now });
  }

  /** Someone opened the file in the viewer (its script subscribed): a view, once a day each. */
  view(fileId: string, client: string | undefined): void {
    const at = this.now();
    this.once(`view:${fileId}`, client, () => this.counters.add(fileId, { views: 1 }, at));
  }

  /** A successful GET of the file's bytes began (whole or a range): a download, once a day each. */
  download(fileId: string, client: string | undefined): void {
    const at = this.now();
    this.once(`dl:${fileId}`, client, () => this.counters.add(fileId, { downloads: 1 }, at));
  }

  /** Bytes of the file actually sent (call when the response ends, even if cut short). */
  sent(fileId: string, bytes: number, ctx: TransferContext = {}): void {
    if (bytes <= 0) return;
    this.counters.add(fileId, { bandwidth: bytes, bandwidthPaid: ctx.exempt ? bytes : 0 });
  }

  /** Counted here but not written yet (live counters add it to the stored ones). */
  pending(fileId: string): CounterDelta | undefined {
    return this.counters.pending(fileId);
  }

  /** Write what is counted so far (includes every event seen before the call). */
  flush(): Promise<void> {
    return this.counters.flush();
  }

  close(): Promise<void> {
    return this.counters.flush();
  }

  private once(key: string, client: string | undefined, count: () => void): void {
    // A repeat this node has seen (the next request of a client today) costs a Map lookup.
    if (this.marks.seenHere(key, client)) return;
    this.counters.track(
      this.marks.first(key, client).then((first) => {
        if (first) count();
      }),
    );
  }
}
