import net from 'node:net';

/**
 * One fuzz request, sent as bytes on a raw socket so that anything can be malformed: the request
 * line, the headers, the framing of the body.
 */
export interface FuzzRequest {
  /** Which generator made it (the failure classes are grouped by it). */
  category: string;
  /** Everything before the body: request line and headers, with the blank line. */
  head: Buffer;
  body: Buffer;
  /**
   * The request is well framed (the server has all it needs to answer): it must answer, not just
   * close. False for bodies cut short, garbage and the like: closing without an answer is fine.
   */
  complete: boolean;
  /** Half-close our side (FIN) once everything is written; always done when !complete. */
  halfClose: boolean;
  /** A response is expected only to the first request (pipelined extras are not parsed). */
  note?: string;
}

export type Outcome =
  | { kind: 'response'; status: number; bytes: number; head: string }
  | { kind: 'closed'; bytes: number }
  | { kind: 'reset'; bytes: number; error: string }
  | { kind: 'timeout'; bytes: number; head: string };

/** Build the head of a request from its parts; `Content-Length` is added unless `framing` says otherwise. */
export function buildHead(
  method: string,
  target: string,
  headers: Array<[string, string]>,
  bodyLength: number,
  framing: 'length' | 'none' = 'length',
  version = 'HTTP/1.1',
): Buffer {
  const lines = [`${method} ${target} ${version}`];
  const names = new Set(headers.map(([n]) => n.toLowerCase()));
  if (!names.has('host')) lines.push('Host: 127.0.0.1');
  if (!names.has('connection')) lines.push('Connection: close');
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  if (framing === 'length' && !names.has('content-length') && !names.has('transfer-encoding')) {
    if (bodyLength > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH')
      lines.push(`Content-Length: ${bodyLength}`);
  }
  // latin1: header values may carry raw bytes 0x80-0xff on purpose.
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** A reproducible description of a request: its head as text and its body (escaped, shortened). */
export function describeRequest(req: FuzzRequest, bodyPreview = 400): string {
  const head = JSON.stringify(req.head.toString('latin1'));
  const shown = req.body.subarray(0, bodyPreview).toString('latin1');
  const more = req.body.length > bodyPreview ? ` …(+${req.body.length - bodyPreview} bytes)` : '';
  const flags = `complete=${req.complete} halfClose=${req.halfClose}`;
  return (
    `[${req.category}] ${flags}${req.note ? ` (${req.note})` : ''}\n` +
    `    head: ${head.length > 1500 ? head.slice(0, 1500) + '…' : head}\n` +
    `    body (${req.body.length} bytes): ${JSON.stringify(shown)}${more}`
  );
}

/**
 * The length of the first response once it is complete, or -1 while more bytes are needed.
 * Interim 1xx responses are skipped. Bodies without a length end when the connection does.
 */
function firstResponse(data: Buffer, isHead: boolean): { status: number; head: string } | null {
  let start = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start);
    if (end < 0) return null;
    const head = data.toString('latin1', start, end);
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(head);
    if (!m) return { status: 0, head };
    const status = Number(m[1]);
    if (status >= 100 && status < 200) {
      start = end + 4;
      continue;
    }
    const bodyStart = end + 4;
    if (isHead || status === 204 || status === 304) return { status, head };
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (cl) return data.length - bodyStart >= Number(cl[1]) ? { status, head } : null;
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      return data.subarray(bodyStart).includes('\r\n0\r\n\r\n') ||
        data.subarray(bodyStart, bodyStart + 5).toString() === '0\r\n\r\n'
        ? { status, head }
        : null;
    }
    return null; // ends with the connection
  }
}

/**
 * Send one request and wait for its answer. `response` once the first response is complete (or
 * the connection closed after a status line), `closed`/`reset` when the server ended the
 * connection without a status line, `timeout` when neither happened in time (a hang).
 */
export function send(port: number, req: FuzzRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const isHead = req.head.subarray(0, 5).toString('latin1') === 'HEAD ';
    const data = () => Buffer.concat(chunks);
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const parsed = () => {
      const d = data();
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(d.toString('latin1', 0, 16));
      if (!m) return null;
      return firstResponse(d, isHead);
    };
    const timer = setTimeout(() => {
      const d = data();
      const end = d.indexOf('\r\n\r\n');
      finish({
        kind: 'timeout',
        bytes: received,
        head: d.toString('latin1', 0, end < 0 ? Math.min(d.length, 300) : end),
      });
    }, timeoutMs);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      const r = parsed();
      if (r && r.status >= 200) finish({ kind: 'response', bytes: received, ...r });
    });
    const ended = (error?: Error) => {
      const d = data();
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(d.toString('latin1', 0, 16));
      if (m) {
        // Skip 1xx: the status that counts is the final one, if it came.
        const r = firstResponse(d, isHead);
        const end = d.lastIndexOf('\r\n\r\n');
        const fallbackHead = d.toString('latin1', 0, end < 0 ? Math.min(d.length, 300) : end);
        const statuses = [...d.toString('latin1').matchAll(/(?:^|\r\n)HTTP\/\d\.\d (\d{3})/g)]
          .map((x) => Number(x[1]))
          .filter((s) => s >= 200);
        if (r && r.status >= 200) return finish({ kind: 'response', bytes: received, ...r });
        if (statuses.length > 0)
          return finish({
            kind: 'response',
            status: statuses[0]!,
            bytes: received,
            head: fallbackHead,
          });
      }
      if (error) finish({ kind: 'reset', bytes: received, error: error.message });
      else finish({ kind: 'closed', bytes: received });
    };
    sock.on('end', () => ended());
    sock.on('close', () => ended());
    sock.on('error', (err) => ended(err));
    sock.on('connect', () => {
      sock.write(req.head);
      if (req.body.length > 0) sock.write(req.body);
      if (req.halfClose || !req.complete) sock.end();
    });
  });
}
