import type { Principal } from '../accounts.js';
import { requireAccess } from '../access.js';
import type { FileService } from '../files.js';
import { MINUTE_MS, type SeriesOwner, type SeriesRepository, type SeriesRow } from './records.js';

/** What a time series query asks for: [start, end) in points of `intervalMinutes`. */
export interface SeriesQuery {
  /** Epoch ms. */
  start: number;
  /** Epoch ms (exclusive). */
  end: number;
  /** Minutes per point, 1 to 1440. */
  intervalMinutes: number;
}

export const MIN_INTERVAL = 1;
export const MAX_INTERVAL = 1440;
/** At most this many points per answer: a longer range starts later (the most recent points). */
export const MAX_POINTS = 10_000;

/** Points at `timestamps` (epoch ms of each point's start), one amount per point per counter. */
export interface Series {
  timestamps: number[];
  views: number[];
  downloads: number[];
  bandwidth: number[];
  bandwidthPaid: number[];
}

/**
 * Time series of a file's or a user's traffic, from the stored buckets (minutes, and hours and days
 * as they age: an old bucket lands whole in the point its start falls in). Points are aligned to
 * multiples of the interval since the epoch (a day's interval: UTC midnights) and zero-filled.
 * Events counted on this node but not written yet are flushed first, so the points add up to the
 * counters.
 */
export class SeriesService {
  constructor(
    private readonly repo: SeriesRepository,
    private readonly files: FileService,
    private readonly flush: () => Promise<void>,
  ) {}

  /** A file's series (anyone who may see the file's info may see it). */
  async file(id: string, q: SeriesQuery): Promise<Series> {
    await this.files.get(id);
    return this.query({ file: id }, q);
  }

  /** The caller's series: the sum over the files they own (while they owned them). */
  async user(principal: Principal, q: SeriesQuery): Promise<Series> {
    requireAccess(principal, 'read_own');
    return this.query({ user: principal.userId }, q);
  }

  private async query(owner: SeriesOwner, q: SeriesQuery): Promise<Series> {
    const { intervalMinutes: interval } = q;
    if (!Number.isInteger(interval) || interval < MIN_INTERVAL || interval > MAX_INTERVAL) {
      // The adapters check this (each with its own error); reaching here is a bug.
      throw new RangeError(`interval must be ${MIN_INTERVAL} to ${MAX_INTERVAL} minutes`);
    }
    const step = interval * MINUTE_MS;
    const end = q.end;
    let first = Math.floor(q.start / step) * step;
    if (end <= first) return emptySeries();
    const count = Math.ceil((end - first) / step);
    if (count > MAX_POINTS) first += (count - MAX_POINTS) * step;
    const points = Math.min(count, MAX_POINTS);
    await this.flush();
    const rows = await this.repo.read(owner, first, end);
    return bucketize(rows, first, step, points);
  }
}

function emptySeries(): Series {
  return { timestamps: [], views: [], downloads: [], bandwidth: [], bandwidthPaid: [] };
}

/** Sum rows into `points` points of `step` ms from `first`. */
export function bucketize(
  rows: readonly SeriesRow[],
  first: number,
  step: number,
  points: number,
): Series {
  const s: Series = {
    timestamps: Array.from({ length: points }, (_, i) => first + i * step),
    views: new Array<number>(points).fill(0),
    downloads: new Array<number>(points).fill(0),
    bandwidth: new Array<number>(points).fill(0),
    bandwidthPaid: new Array<number>(points).fill(0),
  };
  for (const r of rows) {
    const i = Math.floor((r.bucket - first) / step);
    if (i < 0 || i >= points) continue;
    s.views[i]! += r.views;
    s.downloads[i]! += r.downloads;
    s.bandwidth[i]! += r.bandwidth;
    s.bandwidthPaid[i]! += r.bandwidthPaid;
  }
  return s;
}
