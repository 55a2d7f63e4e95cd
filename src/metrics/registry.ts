/**
 * The Prometheus registry of one serving process: every metric Stowage exports, in a registry of
 * its own (never prom-client's global one, so several apps can run in one process, as in tests).
 * The HTTP hooks (src/http/metrics/) and the Telemetry adapter (telemetry.ts) only move these.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DURATION_BUCKETS, HttpStats, type Dialect } from './http-stats.js';

export type { Dialect };

export const DIALECTS: readonly Dialect[] = ['pixeldrain', 'filebin', 'chevereto', 'web'];

export class Metrics {
  readonly registry = new Registry();
  /** What the per-request hook counts, as plain numbers (read at scrape time). */
  readonly http = new HttpStats();
  readonly httpRequests = synced(
    new Counter({
      name: 'stowage_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method, API dialect and status code',
      labelNames: ['route', 'method', 'dialect', 'status'] as const,
      registers: [this.registry],
    }),
    (c) => {
      for (const s of this.http.series) {
        c.labels(s.route, s.method, s.dialect, s.status).inc(s.n);
      }
    },
  );
  readonly bytesReceived = synced(
    new Counter({
      name: 'stowage_http_received_bytes_total',
      help: 'Bytes read from clients (headers and bodies), by API dialect',
      labelNames: ['dialect'] as const,
      registers: [this.registry],
    }),
    (c) => {
      for (const d of this.http.dialects.values()) c.labels(d.dialect).inc(d.received);
    },
  );
  readonly bytesSent = synced(
    new Counter({
      name: 'stowage_http_sent_bytes_total',
      help: 'Bytes written to clients (headers and bodies), by API dialect',
      labelNames: ['dialect'] as const,
      registers: [this.registry],
    }),
    (c) => {
      for (const d of this.http.dialects.values()) c.labels(d.dialect).inc(d.sent);
    },
  );
  readonly uploads = new Counter({
    name: 'stowage_uploads_total',
    help: 'Files stored by uploads, by API dialect',
    labelNames: ['dialect'] as const,
    registers: [this.registry],
  });
  readonly deletes = new Counter({
    name: 'stowage_deletes_total',
    help: 'Files deleted through an API, by dialect',
    labelNames: ['dialect'] as const,
    registers: [this.registry],
  });
  readonly activeUploads = new Gauge({
    name: 'stowage_active_uploads',
    help: 'Upload bodies being received into staging now',
    registers: [this.registry],
  });
  readonly blobStoreErrors = new Counter({
    name: 'stowage_blob_store_errors_total',
    help: 'Failed blob store operations, by operation',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  readonly captchaChallenges = new Counter({
    name: 'stowage_captcha_challenges_total',
    help: 'Captcha challenges handed out',
    registers: [this.registry],
  });
  readonly captchaSolutions = new Counter({
    name: 'stowage_captcha_solutions_total',
    help: 'Captcha solutions checked, by result (solved, failed)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly hotlinkRefusals = new Counter({
    name: 'stowage_hotlink_refusals_total',
    help: 'Downloads refused by the hotlink rule',
    registers: [this.registry],
  });
  readonly virusScans = new Counter({
    name: 'stowage_virus_scans_total',
    help: 'Virus scans, by result (clean, infected, unscanned, error; unavailable: clamd unreachable)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly malwareRefusals = new Counter({
    name: 'stowage_malware_refusals_total',
    help: 'Downloads of infected files refused, by answer (virus_detected_captcha_required, unavailable_for_legal_reasons)',
    labelNames: ['value'] as const,
    registers: [this.registry],
  });
  readonly ipLimitRefusals = new Counter({
    name: 'stowage_ip_limit_refusals_total',
    help: 'Downloads refused or slowed by a per-IP limit, by limit (downloads, transfer, speed)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  /** 1 in each process; summed by the cluster primary, the number of processes a scrape covers. */
  readonly processes = new Gauge({
    name: 'stowage_metrics_processes',
    help: 'Serving processes whose metrics this scrape includes (the workers of a --workers node)',
    registers: [this.registry],
  });
  readonly websocketSubscribers = new Gauge({
    name: 'stowage_websocket_subscribers',
    help: 'Open file_stats websocket subscriptions',
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // Process metrics (CPU, memory, file descriptors, GC, heap) and the event-loop lag.
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start (0 rather than absent), so rates work from the first scrape.
    for (const d of DIALECTS) {
      this.uploads.labels(d).inc(0);
      this.deletes.labels(d).inc(0);
    }
    this.captchaSolutions.labels('solved').inc(0);
    this.captchaSolutions.labels('failed').inc(0);
    this.processes.set(1);
    this.registry.registerMetric(durationHistogram(this.http) as never);
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A counter whose values are set from `fill` at each scrape (reset, then filled). */
function synced<T extends string>(counter: Counter<T>, fill: (c: Counter<T>) => void): Counter<T> {
  const collect = () => {
    counter.reset();
    fill(counter);
  };
  (counter as unknown as { collect: () => void }).collect = collect;
  return counter;
}

const DURATION = 'stowage_http_request_duration_seconds';
const DURATION_HELP =
  'Time from the request to the last byte of the response handed to the socket, by API dialect';

/**
 * The duration histogram, from HttpStats' buckets: an object with the shape prom-client's
 * registry reads (`get()`), so it is printed and aggregated over workers like its own histograms.
 */
function durationHistogram(http: HttpStats) {
  const base = { name: DURATION, help: DURATION_HELP, type: 'histogram', aggregator: 'sum' };
  return {
    ...base,
    reset() {},
    get: () => {
      const values: Array<{
        metricName: string;
        labels: Record<string, string | number>;
        value: number;
      }> = [];
      for (const d of http.dialects.values()) {
        if (d.count === 0) continue;
        let cumulative = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          cumulative += d.buckets[i]!;
          values.push({
            metricName: `${DURATION}_bucket`,
            labels: { le, dialect: d.dialect },
            value: cumulative,
          });
        });
        values.push({
          metricName: `${DURATION}_bucket`,
          labels: { le: '+Inf', dialect: d.dialect },
          value: d.count,
        });
        values.push({
          metricName: `${DURATION}_sum`,
          labels: { dialect: d.dialect },
          value: d.sum,
        });
        values.push({
          metricName: `${DURATION}_count`,
          labels: { dialect: d.dialect },
          value: d.count,
        });
      }
      return Promise.resolve({ ...base, values });
    },
  };
}
