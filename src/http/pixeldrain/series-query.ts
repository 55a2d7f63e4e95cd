import {
  MAX_INTERVAL,
  MIN_INTERVAL,
  type Series,
  type SeriesQuery,
} from '../../core/traffic/index.js';
import { PdFailure } from './errors.js';
import { int, str } from './schemas.js';

/** `?start=&end=&interval=` of the time series routes (spec 2.8, 4.4). */
export type SeriesQuerystring = { start?: unknown; end?: unknown; interval?: unknown };

/** RFC 3339 date-time: `T` (or `t`) between date and time, `Z` or a numeric offset. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function missing(field: string): PdFailure {
  return new PdFailure({
    status: 400,
    value: 'missing_field',
    message: 'A required field was not sent with this request. See extra for more information',
    extra: { field },
  });
}

/** The one value of a query field (a repeated field: the first, as Go's `Query().Get`). */
function field(q: SeriesQuerystring, name: 'start' | 'end' | 'interval'): string {
  let v = q[name];
  if (Array.isArray(v)) v = v[0];
  if (typeof v !== 'string' || v === '') throw missing(name);
  return v;
}

function parseTime(name: string, raw: string): number {
  // An unencoded `+` offset arrives as a space (form decoding): take it as the `+` it was.
  const v = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const m = RFC3339.exec(v);
  const ms = m ? Date.parse(v.toUpperCase()) : NaN;
  // Date.parse rolls 31 February over into March: the day must be the one written.
  const [, y, mo, d, h, mi, s] = m ?? [];
  const valid =
    m &&
    Number.isFinite(ms) &&
    Number(mo) >= 1 &&
    Number(mo) <= 12 &&
    Number(d) >= 1 &&
    Number(d) <= new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate() &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s) <= 59;
  if (!valid) {
    throw new PdFailure({
      status: 422,
      value: 'time_parse_failed',
      message: 'A time parameter could not be parsed, it must be in RFC 3339 format',
      extra: { field: name },
    });
  }
  return ms;
}

function parseInterval(raw: string): number {
  if (!/^[+-]?\d{1,18}$/.test(raw)) {
    throw new PdFailure({
      status: 422,
      value: 'integer_parse_failed',
      message: 'An integer parameter could not be parsed',
      extra: { field: 'interval' },
    });
  }
  const n = Number(raw);
  if (n < MIN_INTERVAL || n > MAX_INTERVAL) {
    throw new PdFailure({
      status: 422,
      value: 'integer_out_of_range',
      message: 'An integer parameter you passed was either too low or too high',
      extra: { field: 'interval', min_val: MIN_INTERVAL, max_val: MAX_INTERVAL },
    });
  }
  return n;
}

/** Parse the query; fields are checked in order start, end, interval. */
export function parseSeriesQuery(q: SeriesQuerystring): SeriesQuery {
  const start = parseTime('start', field(q, 'start'));
  const end = parseTime('end', field(q, 'end'));
  const intervalMinutes = parseInterval(field(q, 'interval'));
  return { start, end, intervalMinutes };
}

/** `{"timestamps":[…],"amounts":[…]}`, times as RFC 3339 with milliseconds (spec 1.4). */
export function seriesJson(timestamps: readonly string[], amounts: readonly number[]) {
  return { timestamps, amounts };
}

export function isoTimes(s: Series): string[] {
  return s.timestamps.map((t) => new Date(t).toISOString());
}

export const SERIES_QUERY_SCHEMA = {
  type: 'object',
  properties: {
    start: str('Start (RFC 3339), rounded down to a multiple of the interval since the epoch', {
      format: 'date-time',
    }),
    end: str('End (RFC 3339), exclusive', { format: 'date-time' }),
    interval: int('Minutes per point', { minimum: MIN_INTERVAL, maximum: MAX_INTERVAL }),
  },
  required: ['start', 'end', 'interval'],
};

export const TIME_SERIES_SCHEMA = {
  type: 'object',
  properties: {
    timestamps: {
      type: 'array',
      items: { type: 'string', format: 'date-time' },
      description: 'Start of each point',
    },
    amounts: { type: 'array', items: { type: 'integer' }, description: 'Amount in each point' },
  },
  required: ['timestamps', 'amounts'],
};

export const SERIES_QUERY_ERRORS = {
  400: 'missing_field (extra.field: start, end or interval)',
  422: 'time_parse_failed (extra.field), integer_parse_failed, integer_out_of_range (extra.min_val 1, max_val 1440)',
};
