/**
 * HTTP request statistics kept as plain numbers on the hot path (a 4 KiB GET must not pay for
 * prom-client's label hashing four times per request: ~2.5 µs), handed to the registry only when
 * it is scraped. A request costs a few additions and a bucket search over 17 bounds.
 */

/** The API a request was made to (a route belongs to the plugin that registered it). */
export type Dialect = 'pixeldrain' | 'filebin' | 'chevereto' | 'web';

/** Request durations, in seconds: from a cached 4 KiB GET (~0.1 ms) to a long upload. */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/** One series of the request counter (route pattern, method, dialect, status). */
export interface RequestSeries {
  readonly route: string;
  readonly method: string;
  readonly dialect: Dialect;
  readonly status: string;
  n: number;
}

/** Per dialect: bytes and the duration histogram (per bucket, not yet cumulative). */
export interface DialectStats {
  readonly dialect: Dialect;
  received: number;
  sent: number;
  /** One slot per bound, and a last one past the largest (+Inf). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

export class HttpStats {
  readonly series: RequestSeries[] = [];
  readonly dialects = new Map<Dialect, DialectStats>();

  dialect(d: Dialect): DialectStats {
    let s = this.dialects.get(d);
    if (!s) {
      s = {
        dialect: d,
        received: 0,
        sent: 0,
        buckets: new Float64Array(DURATION_BUCKETS.length + 1),
        sum: 0,
        count: 0,
      };
      this.dialects.set(d, s);
    }
    return s;
  }

  /** A new series (callers cache it: one per route, method and status). */
  request(route: string, method: string, dialect: Dialect, status: number): RequestSeries {
    const s: RequestSeries = { route, method, dialect, status: String(status), n: 0 };
    this.series.push(s);
    return s;
  }
}

/** Count one duration, in seconds. */
export function observe(d: DialectStats, seconds: number): void {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  d.buckets[i] = d.buckets[i]! + 1;
  d.sum += seconds;
  d.count++;
}
