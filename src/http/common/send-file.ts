import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { BlobReader, ByteRange } from '../../core/blob-store.js';
import { isActiveContent } from '../../core/media-type.js';
import type { FileRecord } from '../../core/records.js';
import { contentDisposition } from './content-disposition.js';
import { Throttle } from './throttle.js';

/** Bodies up to this size are read in one call and written from memory. */
const SMALL_BODY = 64 * 1024;

export type RangeResult =
  { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * One `Range: bytes=...` header against a size. Multiple ranges and anything malformed are
 * ignored (a full response is always a valid answer); ranges past the end are unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, a, b] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    const suffix = Number(b);
    if (!Number.isSafeInteger(suffix)) return { kind: 'full' };
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'full' };
  if (b !== '' && Number(b) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

export function etagOf(file: FileRecord): string {
  return `"${file.blobKey}"`;
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function matchesEtag(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

/** Whole seconds, as HTTP dates carry no more. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export interface SendFileOptions {
  disposition: 'inline' | 'attachment';
  /** Bytes that went out (for counting bandwidth and downloads). */
  onSent?(bytes: number, wholeFile: boolean): void;
  readBytes(range?: ByteRange): Promise<Buffer>;
  /** The bytes when they are in memory already (no wait), else undefined: then `readBytes`. */
  heldBytes?(range?: ByteRange): Buffer | undefined;
  /** A positional reader, when the store offers one (preferred for big bodies); else null. */
  openReader(): Promise<BlobReader | null>;
  openStream(range?: ByteRange): Promise<NodeJS.ReadableStream>;
  /** Send no faster than this (a slowed client); bodies go through a Throttle. */
  bytesPerSecond?: number;
}

type Disposition = SendFileOptions['disposition'];

/**
 * The response headers that depend only on the file, by disposition: without a length (a range
 * adds its own) and, for a whole-file response, with it. The whole-file objects are handed to
 * `writeHead` as they are: building a fresh headers object per request (a spread plus the length)
 * cost 3-11% of a 4 KiB GET's throughput (bench/README.md, "2026-12-05 evening").
 */
type StaticHeaders = {
  partial: Record<Disposition, Readonly<OutgoingHttpHeaders>>;
  whole: Record<Disposition, Readonly<OutgoingHttpHeaders>>;
  lastModified: string;
};

/** Headers that depend only on the file: computed once per cached record, not per request. */
const headerCache = new WeakMap<FileRecord, StaticHeaders>();

function staticHeaders(file: FileRecord): StaticHeaders {
  let h = headerCache.get(file);
  if (!h) {
    const lastModified = httpDate(file.createdAt);
    const base: OutgoingHttpHeaders = {
      'Content-Type': file.mimeType,
      'Accept-Ranges': 'bytes',
      ETag: etagOf(file),
      'Last-Modified': lastModified,
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    };
    if (isActiveContent(file.mimeType)) {
      // HTML, SVG, XML, JS: rendered in an opaque sandbox origin with nothing allowed to run.
      base['Content-Security-Policy'] =
        "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";
    }
    const inline = { ...base, 'Content-Disposition': contentDisposition('inline', file.name) };
    const attachment = {
      ...base,
      'Content-Disposition': contentDisposition('attachment', file.name),
    };
    h = {
      partial: { inline, attachment },
      whole: {
        inline: { ...inline, 'Content-Length': file.size },
        attachment: { ...attachment, 'Content-Length': file.size },
      },
      lastModified,
    };
    headerCache.set(file, h);
  }
  return h;
}

/**
 * Serve stored user content on a raw response: conditional requests (ETag, Last-Modified),
 * one byte range (If-Range aware), HEAD, and the headers that keep user content from scripting
 * our origin.
 */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: FileRecord,
  opts: SendFileOptions,
): Promise<void> {
  const etag = etagOf(file);
  const fixed = staticHeaders(file);
  const lastModified = fixed.lastModified;

  const ifNoneMatch = req.headers['if-none-match'];
  const ifModifiedSince = req.headers['if-modified-since'];
  const notModified = ifNoneMatch
    ? matchesEtag(ifNoneMatch, etag)
    : ifModifiedSince !== undefined &&
      !Number.isNaN(Date.parse(ifModifiedSince)) &&
      seconds(file.createdAt) <= seconds(Date.parse(ifModifiedSince));
  if (notModified) {
    res.writeHead(304, { ETag: etag, 'Last-Modified': lastModified });
    res.end();
    return;
  }

  let rangeHeader = req.headers.range;
  const ifRange = String(req.headers['if-range'] ?? '').trim();
  if (rangeHeader && ifRange) {
    const ok = ifRange.startsWith('"') ? ifRange === etag : ifRange === lastModified;
    if (!ok) rangeHeader = undefined;
  }
  const parsed = parseRange(rangeHeader, file.size);
  if (parsed.kind === 'unsatisfiable') {
    res.writeHead(416, {
      'Content-Range': `bytes */${file.size}`,
      'Content-Type': 'application/json; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(
      req.method === 'HEAD'
        ? undefined
        : JSON.stringify({
            success: false,
            value: 'range_not_satisfiable',
            message: 'The requested range is not satisfiable',
          }),
    );
    return;
  }
  const range = parsed.kind === 'partial' ? parsed.range : undefined;
  const length = range ? range.end - range.start + 1 : file.size;
  const headers: Readonly<OutgoingHttpHeaders> = range
    ? {
        ...fixed.partial[opts.disposition],
        'Content-Length': length,
        'Content-Range': `bytes ${range.start}-${range.end}/${file.size}`,
      }
    : fixed.whole[opts.disposition];
  const status = range ? 206 : 200;
  const whole = !range || (range.start === 0 && range.end === file.size - 1);

  if (req.method === 'HEAD') {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  if (opts.bytesPerSecond && opts.bytesPerSecond > 0 && length > 0) {
    await sendThrottled(res, status, headers, range, opts, whole, length);
    return;
  }
  if (length <= SMALL_BODY) {
    const body =
      length === 0 ? Buffer.alloc(0) : (opts.heldBytes?.(range) ?? (await opts.readBytes(range)));
    res.writeHead(status, headers);
    res.end(body);
    opts.onSent?.(body.length, whole);
    return;
  }
  const start = range?.start ?? 0;
  const reader = await opts.openReader();
  if (reader) {
    res.writeHead(status, headers);
    let sent: number;
    try {
      sent = await copyWithRecycledBuffers(reader, start, length, res);
    } finally {
      await reader.close().catch(() => {});
    }
    opts.onSent?.(sent, whole && sent === length);
    if (sent < length) res.destroy();
    return;
  }
  const stream = await opts.openStream(range);
  res.writeHead(status, headers);
  let sent = 0;
  stream.on('data', (c: Buffer) => (sent += c.length));
  try {
    await pipeline(stream, res);
    opts.onSent?.(sent, whole);
  } catch {
    // The client went away mid-download: count what was sent, nothing else to do.
    opts.onSent?.(sent, false);
  }
}

/** A slowed download: the store's stream through a Throttle; what went out is counted. */
async function sendThrottled(
  res: ServerResponse,
  status: number,
  headers: Readonly<OutgoingHttpHeaders>,
  range: ByteRange | undefined,
  opts: SendFileOptions,
  whole: boolean,
  length: number,
): Promise<void> {
  const stream = await opts.openStream(range);
  const throttle = new Throttle(opts.bytesPerSecond!);
  res.writeHead(status, headers);
  let sent = 0;
  throttle.on('data', (c: Buffer) => (sent += c.length));
  try {
    await pipeline(stream, throttle, res);
    opts.onSent?.(sent, whole && sent === length);
  } catch {
    // The client went away (or the store failed) mid-download: count what was sent.
    opts.onSent?.(sent, false);
    res.destroy();
  }
}

const COPY_CHUNK = 1024 * 1024;
const COPY_BUFFERS = 3;

/**
 * Copy `length` bytes from `position` to the response through a few recycled 1 MiB buffers: a
 * buffer is read into again only after the socket has taken its previous bytes (the write
 * callback), so nothing is allocated per chunk. At most COPY_BUFFERS MiB are in flight: reading
 * the next chunk overlaps sending the previous ones, and waits only when every buffer is still
 * the socket's. Returns the bytes handed to the socket; stops early if the client goes away.
 */
async function copyWithRecycledBuffers(
  reader: BlobReader,
  position: number,
  length: number,
  res: ServerResponse,
): Promise<number> {
  // Allocated as needed and no larger than the download: a 100 KiB file costs 100 KiB, not
  // 3 MiB (buffers from 128 KiB up churn glibc's heap, which keeps what it freed after a load).
  const size = Math.min(COPY_CHUNK, length);
  const free: Buffer[] = [];
  let allocated = 0;
  let waitingForBuffer: (() => void) | null = null;
  let gone = false;
  const onGone = () => {
    gone = true;
    waitingForBuffer?.();
  };
  res.once('close', onGone);
  let sent = 0;
  try {
    while (sent < length && !gone) {
      if (free.length === 0 && allocated < COPY_BUFFERS) {
        free.push(Buffer.allocUnsafe(size));
        allocated++;
      }
      if (free.length === 0) await new Promise<void>((r) => (waitingForBuffer = r));
      waitingForBuffer = null;
      const buf = free.pop();
      if (!buf || gone) break;
      const want = Math.min(COPY_CHUNK, length - sent);
      const n = await reader.read(
        want === COPY_CHUNK ? buf : buf.subarray(0, want),
        position + sent,
      );
      if (n <= 0) break; // the blob is shorter than its record says: stop rather than spin
      sent += n;
      // No wait for 'drain' here: a 1 MiB write always fills the socket's buffer, and waiting
      // for it to empty would keep the disk idle while the socket sends. The buffers are the
      // backpressure: the next read needs one the socket has given back.
      res.write(buf.subarray(0, n), () => {
        free.push(buf);
        waitingForBuffer?.();
      });
    }
    if (!gone && sent === length) res.end();
  } finally {
    res.off('close', onGone);
  }
  return sent;
}
