/**
 * The few Go standard-library behaviours rclone's pixeldrain backend relies on, reproduced byte for
 * byte so the replay sends what rclone sends: `url.PathEscape`, `url.QueryEscape`,
 * `url.Values.Encode`, `time.Format(time.RFC3339Nano)`, strict RFC 3339 parsing as
 * `time.Time.UnmarshalJSON` does it, `mime/multipart.Writer` and `path.Join`/`path.Dir`.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

const HEX = '0123456789ABCDEF';

function escapeBytes(s: string, keep: (c: number) => boolean, spacePlus: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x20 && spacePlus) out += '+';
    else if (keep(b)) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

function unreserved(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d || // -
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x7e // ~
  );
}

/** Go's `url.PathEscape`: keeps unreserved and `$&+:=@`; escapes `/;,?`, space, `#`, `%`, UTF-8... */
export function pathEscape(s: string): string {
  return escapeBytes(s, (c) => unreserved(c) || '$&+:=@'.includes(String.fromCharCode(c)), false);
}

/** Go's `url.QueryEscape`: keeps unreserved only, space becomes `+`. */
export function queryEscape(s: string): string {
  return escapeBytes(s, unreserved, true);
}

/** Go's `url.Values.Encode`: keys sorted, `k=v` joined with `&` (an empty value gives `k=`). */
export function encodeValues(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${queryEscape(k)}=${queryEscape(values[k]!)}`)
    .join('&');
}

/** Go's `path.Join` (cleaned, no trailing slash, "" for nothing). */
export function goJoin(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  if (joined === '') return '';
  const clean = path.posix.normalize(joined);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/** Go's `path.Dir`. */
export function goDir(p: string): string {
  return path.posix.dirname(p);
}

/** An instant with nanoseconds, in a zone given as a UTC offset in minutes (Go's `time.Time`). */
export interface GoTime {
  ns: bigint;
  offsetMin: number;
}

export const NS_PER_MS = 1_000_000n;

export function fromNs(ns: bigint, offsetMin = 0): GoTime {
  return { ns, offsetMin };
}

/** `t.Truncate(time.Millisecond)` (instants after 1970). */
export function truncateMs(t: GoTime): GoTime {
  return { ns: (t.ns / NS_PER_MS) * NS_PER_MS, offsetMin: t.offsetMin };
}

/** `t.Format(time.RFC3339Nano)`: fraction without trailing zeros, `Z` for UTC else `±hh:mm`. */
export function formatRFC3339Nano(t: GoTime): string {
  const secs = t.ns / 1_000_000_000n;
  const frac = t.ns % 1_000_000_000n;
  const local = new Date(Number(secs) * 1000 + t.offsetMin * 60_000);
  const base = local.toISOString().slice(0, 19);
  const digits = frac.toString().padStart(9, '0').replace(/0+$/, '');
  let zone = 'Z';
  if (t.offsetMin !== 0) {
    const a = Math.abs(t.offsetMin);
    zone = `${t.offsetMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  }
  return base + (digits ? '.' + digits : '') + zone;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses a JSON time as Go's `time.Time.UnmarshalJSON` (RFC 3339, strict); throws like Go's
 * decoder does on anything else. JSON `null` leaves the zero time, returned here as null.
 */
export function parseGoTime(v: unknown, field: string): GoTime | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new Error(`json: ${field} is not a string time: ${String(v)}`);
  const m = RFC3339.exec(v);
  if (!m) throw new Error(`parsing time ${JSON.stringify(v)} as RFC 3339 (${field})`);
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const offsetMin = z ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const utcMs =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) -
    offsetMin * 60_000;
  const ns = BigInt(utcMs) * NS_PER_MS + BigInt((frac ?? '').padEnd(9, '0'));
  return { ns, offsetMin };
}

/** A multipart/form-data body as Go's `multipart.Writer` writes it (`rest.MultipartUpload`). */
export function goMultipart(fields: [string, string][]): { body: Buffer; contentType: string } {
  const boundary = randomBytes(30).toString('hex');
  let out = '';
  fields.forEach(([k, v], i) => {
    out += `${i === 0 ? '' : '\r\n'}--${boundary}\r\n`;
    out += `Content-Disposition: form-data; name="${k.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\r\n\r\n`;
    out += v;
  });
  out += `${fields.length === 0 ? '' : '\r\n'}--${boundary}--\r\n`;
  return {
    body: Buffer.from(out, 'utf8'),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
