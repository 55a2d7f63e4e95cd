import { randomBytes } from 'node:crypto';
import net from 'node:net';

// Raw HTTP over node:net: requests whose bodies run past the limits, written as fast as the socket
// takes them, and the server's answer read back as text.

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

export interface RawResult {
  /** Everything the server sent. */
  response: string;
  /** Body bytes the kernel accepted from us (write callbacks without error), framing excluded. */
  written: number;
  /** How the connection ended: the server closed it, it errored (reset), or we gave up waiting. */
  ended: 'closed' | 'error' | 'timeout';
}

export interface RawOptions {
  /** Request line and headers, without the blank line. */
  head: string;
  /** Body bytes to send after the headers (0 = none). Sent as fast as the socket takes them. */
  bodyBytes?: number;
  /** Frame the body with chunked transfer encoding (and send the terminating chunk). */
  chunked?: boolean;
  /** Bytes to send before the body (e.g. a multipart preamble). */
  preamble?: Buffer;
  /** Stop writing as soon as the server starts answering. */
  stopOnResponse?: boolean;
  /** Give up after this long. */
  timeoutMs?: number;
  /** Keep writing after the server has closed its side (half-open), until the connection breaks. */
  ignoreServerEnd?: boolean;
}

/**
 * Send a request on a raw socket and write the body as fast as the socket accepts it, until the
 * body is done, the server answers, or the connection breaks. Resolves when the connection is gone
 * (or on timeout, after destroying it).
 */
export function rawUpload(port: number, opts: RawOptions): Promise<RawResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: !!opts.ignoreServerEnd });
    const chunks: Buffer[] = [];
    let written = 0;
    let answered = false;
    let broken = false;
    let settled = false;
    const piece = randomBytes(64 * 1024);
    const finish = (ended: RawResult['ended']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ response: Buffer.concat(chunks).toString('latin1'), written, ended });
    };
    const timer = setTimeout(() => finish('timeout'), opts.timeoutMs ?? 10_000);
    sock.on('data', (d) => {
      chunks.push(d);
      answered = true;
    });
    sock.on('error', () => {
      broken = true;
      finish('error');
    });
    sock.on('close', () => finish('closed'));
    sock.on('end', () => {
      // The server closed its side; keep reading nothing more, just close ours.
      if (!opts.ignoreServerEnd) sock.end();
    });
    const total = opts.bodyBytes ?? 0;
    let queued = 0;
    const pump = () => {
      while (!broken && !settled && queued < total) {
        if (opts.stopOnResponse && answered) return;
        const n = Math.min(piece.length, total - queued);
        queued += n;
        const data = n === piece.length ? piece : piece.subarray(0, n);
        const frame = opts.chunked
          ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), data, Buffer.from('\r\n')])
          : data;
        const more = sock.write(frame, (err) => {
          if (!err) written += n;
        });
        if (!more) {
          sock.once('drain', pump);
          return;
        }
      }
      if (!broken && !settled && queued >= total && opts.chunked) sock.write('0\r\n\r\n', () => {});
    };
    sock.once('connect', () => {
      sock.write(opts.head + '\r\n\r\n');
      if (opts.preamble) sock.write(opts.preamble);
      if (total > 0) pump();
    });
  });
}

export function statusOf(response: string): number | null {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
  return m ? Number(m[1]) : null;
}
