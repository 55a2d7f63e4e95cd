import net from 'node:net';
import type { Readable } from 'node:stream';
import type { ClamdAddress } from '../config-scan.js';
import {
  ScannerUnavailable,
  type ScanVerdict,
  type VirusScanner,
} from '../core/scanning/scanner.js';

export interface ClamdOptions {
  /**
   * No progress (connect, bytes taken) for this long: the scan fails, in ms. Once everything is
   * sent, clamd gets this plus a second per MB to answer.
   */
  timeoutMs: number;
  /** Largest INSTREAM chunk sent (default 64 KiB); bigger input chunks are split. */
  chunkBytes?: number;
}

/** clamd's answer to a stream that went past its StreamMaxLength. */
const SIZE_LIMIT = /size limit exceeded/i;
/** Signatures clamd reports (AlertExceedsMax) for files past its scan limits: not scanned. */
const LIMITS_EXCEEDED = /^Heuristics\.Limits\.Exceeded/;

/**
 * The clamd adapter: a small INSTREAM client of its own (no dependency). Each scan is one
 * connection: `zINSTREAM\0`, then chunks of `<4-byte big-endian length><bytes>`, a zero length to
 * end, and one NUL-terminated answer (`stream: OK`, `stream: <signature> FOUND`, `... ERROR`).
 * Input is read only as fast as clamd takes it (a write that does not drain pauses the read).
 * clamd may answer before the end (StreamMaxLength) and close: the answer wins over the broken
 * pipe, and when the pipe broke before the answer could be read, a second connection asks whether
 * the length was over the limit (`overLimit`).
 */
export class ClamdScanner implements VirusScanner {
  private readonly chunkBytes: number;

  constructor(
    private readonly addr: ClamdAddress,
    private readonly opts: ClamdOptions,
  ) {
    this.chunkBytes = opts.chunkBytes ?? 64 * 1024;
  }

  async ping(): Promise<void> {
    const answer = await this.command('PING');
    if (answer !== 'PONG') throw new ScannerUnavailable(`clamd answered PING with "${answer}"`);
  }

  version(): Promise<string> {
    return this.command('VERSION');
  }

  /** One `z<CMD>\0` command and its answer. */
  private async command(cmd: string): Promise<string> {
    const socket = await this.connect();
    return new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const fail = (err: Error) => {
        socket.destroy();
        reject(err instanceof ScannerUnavailable ? err : new ScannerUnavailable(err.message));
      };
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if (c.includes(0)) {
          socket.destroy();
          resolve(answerOf(Buffer.concat(chunks)));
        }
      });
      socket.on('error', fail);
      socket.on('timeout', () => fail(new ScannerUnavailable(`clamd did not answer ${cmd}`)));
      socket.on('close', () => fail(new ScannerUnavailable(`clamd closed the connection`)));
      socket.write(`z${cmd}\0`);
    });
  }

  /** Connected, or ScannerUnavailable (not listening, refused, no answer in time). */
  private connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket =
        'unix' in this.addr
          ? net.createConnection({ path: this.addr.unix })
          : net.createConnection({ host: this.addr.host, port: this.addr.port });
      socket.setTimeout(this.opts.timeoutMs);
      const onError = (err: Error) => {
        socket.destroy();
        reject(new ScannerUnavailable(`clamd cannot be reached: ${err.message}`, { cause: err }));
      };
      const onTimeout = () => onError(new Error('connect timed out'));
      socket.once('error', onError);
      socket.once('timeout', onTimeout);
      socket.once('connect', () => {
        socket.off('error', onError);
        socket.off('timeout', onTimeout);
        resolve(socket);
      });
    });
  }

  async scan(bytes: Readable, signal?: AbortSignal): Promise<ScanVerdict> {
    let socket: net.Socket;
    try {
      socket = await this.connect();
    } catch (err) {
      bytes.destroy();
      throw err;
    }
    /** Bytes handed to the socket so far (chunk lengths announced). */
    const sent = { bytes: 0 };
    return new Promise<ScanVerdict>((resolve, reject) => {
      let settled = false;
      const reply: Buffer[] = [];
      const finish = (v: ScanVerdict | Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        bytes.destroy();
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
      const onAbort = () => finish(new Error('scan aborted', { cause: signal?.reason }));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort);
      socket.on('data', (c: Buffer) => {
        reply.push(c);
        if (c.includes(0)) finish(verdictOf(answerOf(Buffer.concat(reply))));
      });
      // The connection broke with no answer. At its size limit clamd answers and closes, and a
      // write racing with that close fails (EPIPE) before the answer is read: ask clamd whether
      // the stream was too large before calling it an error.
      let probing = false;
      const broken = (reason: string) => {
        if (settled || probing) return;
        probing = true;
        socket.destroy();
        this.overLimit(sent.bytes).then(
          (over) =>
            finish(over ? { status: 'unscanned', reason: over } : { status: 'error', reason }),
          (err: Error) => finish(err),
        );
      };
      socket.on('error', (err) => broken(`clamd connection failed: ${err.message}`));
      socket.on('close', () => broken('clamd closed the connection before answering'));
      socket.on('timeout', () =>
        finish({ status: 'error', reason: 'clamd made no progress in time (timeout)' }),
      );
      // While probing, the input is left (the pump's early exit destroys it with an AbortError).
      const failed = (err: unknown) => {
        if (!probing) finish(err instanceof Error ? err : new Error(String(err)));
      };
      bytes.on('error', failed);
      this.pump(bytes, socket, sent, () => settled || probing).catch(failed);
    });
  }

  /**
   * Whether a stream of `bytes` is past clamd's StreamMaxLength: clamd checks each chunk's
   * announced length against what is left of its quota before reading it, so a bare header of
   * `bytes` is refused at once (the answer, returned) or waited on (null). ScannerUnavailable when
   * clamd is gone.
   */
  private async overLimit(bytes: number): Promise<string | null> {
    if (bytes === 0) return null;
    const socket = await this.connect();
    return new Promise((resolve) => {
      const reply: Buffer[] = [];
      const done = (v: string | null) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(v);
      };
      const timer = setTimeout(() => done(null), PROBE_WAIT_MS);
      socket.on('data', (c: Buffer) => {
        reply.push(c);
        if (!c.includes(0)) return;
        const answer = answerOf(Buffer.concat(reply));
        done(SIZE_LIMIT.test(answer) ? answer : null);
      });
      socket.on('error', () => done(null));
      socket.on('close', () => done(null));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(Math.min(bytes, 0xffffffff), 0);
      socket.write(Buffer.concat([Buffer.from('zINSTREAM\0'), header]));
    });
  }

  /** Send the stream as INSTREAM chunks, waiting for the socket to drain; then the terminator. */
  private async pump(
    bytes: Readable,
    socket: net.Socket,
    sent: { bytes: number },
    stopped: () => boolean,
  ): Promise<void> {
    const drained = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    const send = async (buf: Buffer) => {
      const header = Buffer.allocUnsafe(4);
      header.writeUInt32BE(buf.length, 0);
      sent.bytes += buf.length;
      socket.write(header);
      if (buf.length > 0 && !socket.write(buf)) await drained();
    };
    socket.write('zINSTREAM\0');
    for await (const chunk of bytes) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      for (let at = 0; at < buf.length; at += this.chunkBytes) {
        if (stopped() || socket.destroyed) return;
        await send(buf.subarray(at, at + this.chunkBytes));
      }
    }
    if (stopped() || socket.destroyed) return;
    socket.write(Buffer.alloc(4));
    // clamd scans once it has it all, saying nothing meanwhile: a second per MB more to answer.
    socket.setTimeout(this.opts.timeoutMs + Math.ceil(sent.bytes / 1e6) * 1000);
  }
}

/** How long a size probe waits for clamd's refusal (it answers at once when it refuses). */
const PROBE_WAIT_MS = 1000;

/** The text of a NUL-terminated answer. */
function answerOf(buf: Buffer): string {
  const end = buf.indexOf(0);
  return (end >= 0 ? buf.subarray(0, end) : buf).toString('utf8').trim();
}

/** clamd's INSTREAM answer as a verdict. */
export function verdictOf(answer: string): ScanVerdict {
  if (SIZE_LIMIT.test(answer)) return { status: 'unscanned', reason: answer };
  const body = answer.replace(/^stream:\s*/, '');
  if (body === 'OK') return { status: 'clean' };
  const found = /^(.+) FOUND$/.exec(body);
  if (found) {
    const signature = found[1]!.trim();
    if (LIMITS_EXCEEDED.test(signature)) return { status: 'unscanned', reason: signature };
    return { status: 'infected', signature };
  }
  return { status: 'error', reason: answer || 'empty answer' };
}
