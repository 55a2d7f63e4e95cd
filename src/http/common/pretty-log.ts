/**
 * STOWAGE_LOG_FORMAT=pretty: pino's JSON lines turned into one readable line each, for a
 * terminal. Loaded only when that format is chosen (the JSON format never parses its own lines).
 *
 *   14:02:11.204 INFO  GET /api/file/:id 200 4.3 KiB 0.8 ms 127.0.0.1 pixeldrain req-1
 *   14:02:12.950 INFO  upload file=Xb3kR9aQ size=4096 dialect=pixeldrain owner=anonymous req-2
 *   14:02:13.001 ERROR filebin: unhandled error code=internal req-3
 *       Error: boom
 *           at …
 */

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLORS: Record<number, string> = {
  10: '\x1b[90m',
  20: '\x1b[36m',
  30: '\x1b[32m',
  40: '\x1b[33m',
  50: '\x1b[31m',
  60: '\x1b[35m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** Fields shown in a line's own place, or not at all. */
const OWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'err', 'event']);
const REQUEST_OWN = new Set([
  ...OWN,
  'method',
  'route',
  'status',
  'bytes',
  'durationMs',
  'client',
  'dialect',
]);

type Entry = Record<string, unknown>;

function clock(time: unknown): string {
  const d = typeof time === 'number' ? new Date(time) : new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function size(bytes: unknown): string {
  const n = typeof bytes === 'number' ? bytes : 0;
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line as text (without its newline); a line that is not JSON stays as it is. */
export function formatLine(line: string, color: boolean): string {
  let e: Entry;
  try {
    e = JSON.parse(line) as Entry;
  } catch {
    return line.replace(/\n$/, '');
  }
  if (typeof e !== 'object' || e === null) return line.replace(/\n$/, '');
  const level = typeof e.level === 'number' ? e.level : 30;
  const name = LEVEL_NAMES[level] ?? String(level);
  const head = color
    ? `${DIM}${clock(e.time)}${RESET} ${LEVEL_COLORS[level] ?? ''}${name}${RESET}`
    : `${clock(e.time)} ${name}`;
  const request = e.event === 'request';
  const parts: string[] = [head];
  if (request) {
    parts.push(
      `${String(e.method)} ${String(e.route)} ${String(e.status)} ${size(e.bytes)} ` +
        `${String(e.durationMs)} ms ${String(e.client)} ${String(e.dialect)}`,
    );
  } else {
    const msg = typeof e.msg === 'string' ? e.msg : '';
    parts.push(msg || String(e.event ?? ''));
  }
  const skip = request ? REQUEST_OWN : OWN;
  for (const [k, v] of Object.entries(e)) {
    if (!skip.has(k) && v !== undefined) parts.push(`${k}=${value(v)}`);
  }
  if (typeof e.reqId === 'string') parts.push(color ? `${DIM}${e.reqId}${RESET}` : e.reqId);
  let text = parts.join(' ');
  const err = e.err as { type?: unknown; message?: unknown; stack?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const stack = typeof err.stack === 'string' && err.stack ? err.stack : null;
    const body = stack ?? `${String(err.type ?? 'Error')}: ${String(err.message ?? '')}`;
    text += '\n' + body.replace(/^/gm, '    ');
  }
  return text;
}

/**
 * A pino destination writing formatted lines to `out` (stdout, or a test's stream). Pino hands it
 * one complete JSON line per write.
 */
export function prettyDestination(
  out: NodeJS.WritableStream,
  color: boolean,
): { write(line: string): boolean } {
  return {
    write(line: string): boolean {
      return out.write(formatLine(line, color) + '\n');
    },
  };
}
