/**
 * Metrics of a `--workers N` node in one scrape. Each worker keeps its own registry; the primary
 * asks every worker that said it is ready for its metrics as JSON over the cluster IPC channel and
 * sums them (prom-client's AggregatorRegistry.aggregate: counters and histograms add up, gauges
 * too, default process metrics by their own rule). A worker asked on the main port forwards the
 * scrape to the primary, so any worker answers for the whole node.
 *
 * Workers that do not answer within the timeout (busy, dying) are left out of that scrape rather
 * than failing it.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from './registry.js';

const READY = 'stowage:metrics:ready';
const GET = 'stowage:metrics:get';
const JSON_RES = 'stowage:metrics:json';
const SCRAPE = 'stowage:metrics:scrape';
const TEXT_RES = 'stowage:metrics:text';

type Msg = { type?: unknown; id?: unknown; metrics?: unknown; text?: unknown; error?: unknown };

export interface ClusterLike {
  workers?: NodeJS.Dict<Worker>;
  on(event: 'message', fn: (worker: Worker, message: unknown) => void): unknown;
  on(event: 'exit', fn: (worker: Worker) => void): unknown;
}

/** The primary's side: collects from workers, answers scrapes forwarded by them. */
export class ClusterMetricsPrimary {
  private readonly ready = new Set<number>();
  private readonly pending = new Map<
    number,
    { got: object[][]; left: Set<number>; done(): void }
  >();
  private seq = 0;

  constructor(
    private readonly cluster: ClusterLike,
    private readonly timeoutMs = 3000,
  ) {
    cluster.on('message', (worker, raw) => this.onMessage(worker, raw as Msg));
    cluster.on('exit', (worker) => {
      this.ready.delete(worker.id);
      for (const p of this.pending.values()) {
        if (p.left.delete(worker.id) && p.left.size === 0) p.done();
      }
    });
  }

  private onMessage(worker: Worker, m: Msg): void {
    if (!m || typeof m !== 'object') return;
    if (m.type === READY) {
      this.ready.add(worker.id);
    } else if (m.type === JSON_RES && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p || !p.left.delete(worker.id)) return;
      if (Array.isArray(m.metrics)) p.got.push(m.metrics as object[]);
      if (p.left.size === 0) p.done();
    } else if (m.type === SCRAPE && typeof m.id === 'number') {
      const id = m.id;
      this.collect().then(
        (text) => send(worker, { type: TEXT_RES, id, text }),
        (err: Error) => send(worker, { type: TEXT_RES, id, error: err.message }),
      );
    }
  }

  /** Every ready worker's metrics, summed, as exposition text. */
  async collect(): Promise<string> {
    const id = this.seq++;
    const left = new Set<number>();
    for (const w of Object.values(this.cluster.workers ?? {})) {
      if (w && this.ready.has(w.id) && w.isConnected() && send(w, { type: GET, id })) {
        left.add(w.id);
      }
    }
    const got: object[][] = [];
    if (left.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, this.timeoutMs);
        function finish() {
          clearTimeout(timer);
          resolve();
        }
        this.pending.set(id, { got, left, done: finish });
      });
      this.pending.delete(id);
    }
    return AggregatorRegistry.aggregate(got).metrics();
  }
}

function send(w: Worker, message: object): boolean {
  try {
    // With a callback a closed channel is reported to it, never as an 'error' event on the worker.
    return w.send(message, undefined, {}, () => {});
  } catch {
    return false; // the channel closed (worker exiting)
  }
}

/** A worker's side: answers the primary, and forwards scrapes made on the main port. */
export class ClusterMetricsWorker {
  private readonly waiting = new Map<
    number,
    { resolve(t: string): void; reject(e: Error): void }
  >();
  private seq = 0;
  private readonly onMessage = (raw: unknown) => {
    const m = raw as Msg;
    if (!m || typeof m !== 'object') return;
    if (m.type === GET && typeof m.id === 'number') {
      const id = m.id;
      this.metrics.registry.getMetricsAsJSON().then(
        (metrics) => this.send({ type: JSON_RES, id, metrics }),
        () => this.send({ type: JSON_RES, id, metrics: [] }),
      );
    } else if (m.type === TEXT_RES && typeof m.id === 'number') {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (typeof m.text === 'string') w.resolve(m.text);
      else w.reject(new Error(String(m.error ?? 'no metrics from the primary')));
    }
  };

  constructor(
    private readonly metrics: Metrics,
    private readonly proc: NodeJS.Process = process,
    private readonly timeoutMs = 5000,
  ) {
    proc.on('message', this.onMessage);
    this.send({ type: READY });
  }

  private send(message: object): void {
    if (this.proc.connected && this.proc.send) this.proc.send(message, undefined, {}, () => {});
  }

  /** The whole node's metrics, from the primary. */
  scrape(): Promise<string> {
    const id = this.seq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('the primary did not answer'));
      }, this.timeoutMs);
      this.waiting.set(id, {
        resolve: (t) => (clearTimeout(timer), resolve(t)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.send({ type: SCRAPE, id });
    });
  }

  close(): void {
    this.proc.off('message', this.onMessage);
  }
}
