import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ScannerUnavailable } from '../core/scanning/scanner.js';
import { ClamdScanner, verdictOf } from './clamd.js';

/** A fake clamd on a unix socket: `onConn` decides what it does with each connection. */
async function fakeClamd(onConn: (sock: net.Socket, received: () => number) => void) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-fakeclamd-'));
  const sockPath = path.join(dir, 's');
  const server = net.createServer((sock) => {
    let n = 0;
    sock.on('data', (d: Buffer) => (n += d.length));
    sock.on('error', () => {});
    onConn(sock, () => n);
  });
  await new Promise<void>((r) => server.listen(sockPath, r));
  return {
    path: sockPath,
    close: async () => {
      await new Promise((r) => server.close(r));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A stream of `total` bytes in 64 KiB chunks, recording how much was read. */
function source(total: number) {
  let read = 0;
  const stream = new Readable({
    read() {
      if (read >= total) return this.push(null);
      const n = Math.min(65536, total - read);
      read += n;
      this.push(Buffer.alloc(n, 0x61));
    },
  });
  return { stream, read: () => read };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('ClamdScanner error paths', () => {
  it('clamd not listening: ScannerUnavailable, and the input is destroyed', async () => {
    const s = new ClamdScanner({ unix: '/nonexistent/clamd.sock' }, { timeoutMs: 1000 });
    const src = source(1000);
    await expect(s.scan(src.stream)).rejects.toBeInstanceOf(ScannerUnavailable);
    expect(src.stream.destroyed).toBe(true);
    await expect(s.ping()).rejects.toBeInstanceOf(ScannerUnavailable);
    const tcp = new ClamdScanner({ host: '127.0.0.1', port: 1 }, { timeoutMs: 1000 });
    await expect(tcp.version()).rejects.toBeInstanceOf(ScannerUnavailable);
  });

  it('clamd closes the connection mid-stream (and the length was fine): an error verdict', async () => {
    const fake = await fakeClamd((sock, received) => {
      sock.on('data', () => {
        if (received() > 200_000) sock.destroy();
      });
    });
    closers.push(fake.close);
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 5000 });
    const src = source(50 * 1024 * 1024);
    const v = await s.scan(src.stream);
    expect(v.status).toBe('error');
    expect(src.stream.destroyed).toBe(true);
    // Backpressure: the source was not read to its end once clamd stopped taking bytes.
    expect(src.read()).toBeLessThan(50 * 1024 * 1024);
  });

  it('clamd answers early (size limit) while we still send: unscanned, never clean', async () => {
    const fake = await fakeClamd((sock, received) => {
      sock.on('data', () => {
        if (received() > 100_000 && !sock.destroyed) {
          sock.end('INSTREAM size limit exceeded. ERROR\0');
          sock.destroy();
        }
      });
    });
    closers.push(fake.close);
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 5000 });
    const v = await s.scan(source(20 * 1024 * 1024).stream);
    expect(v.status).toBe('unscanned');
  });

  it('the pipe breaks before the size-limit answer could be read: a probe finds it, unscanned', async () => {
    let conns = 0;
    const fake = await fakeClamd((sock, received) => {
      const n = ++conns;
      sock.on('data', (d: Buffer) => {
        if (n === 1 && received() > 100_000) sock.destroy();
        // The probe: a bare INSTREAM header announcing what was sent (more than 100 000 bytes).
        if (n === 2 && received() >= 14) {
          expect(d.subarray(0, 10).toString()).toBe('zINSTREAM\0');
          expect(d.readUInt32BE(10)).toBeGreaterThan(100_000);
          sock.end('INSTREAM size limit exceeded. ERROR\0');
        }
      });
    });
    closers.push(fake.close);
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 5000 });
    const v = await s.scan(source(20 * 1024 * 1024).stream);
    expect(v).toEqual({ status: 'unscanned', reason: 'INSTREAM size limit exceeded. ERROR' });
    expect(conns).toBe(2);
  });

  it('clamd goes away mid-stream: ScannerUnavailable (the scan waits for it)', async () => {
    let stop: (() => Promise<void>) | null = null;
    const fake = await fakeClamd((sock, received) => {
      sock.on('data', () => {
        if (received() > 100_000 && stop) {
          void stop();
          stop = null;
          sock.destroy();
        }
      });
    });
    stop = fake.close;
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 5000 });
    await expect(s.scan(source(20 * 1024 * 1024).stream)).rejects.toBeInstanceOf(
      ScannerUnavailable,
    );
  });

  it('clamd takes the bytes but never answers: the timeout (plus a second per MB) ends it', async () => {
    const fake = await fakeClamd(() => {});
    closers.push(fake.close);
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 300 });
    const v = await s.scan(source(1000).stream);
    expect(v).toEqual({ status: 'error', reason: 'clamd made no progress in time (timeout)' });
    await expect(s.ping()).rejects.toBeInstanceOf(ScannerUnavailable);
  });

  it('the input fails (blob store read error): the scan rejects with it, the socket is closed', async () => {
    let closed = false;
    const fake = await fakeClamd((sock) => sock.on('close', () => (closed = true)));
    closers.push(fake.close);
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 5000 });
    const failing = new Readable({
      read() {
        this.destroy(new Error('blob store went away'));
      },
    });
    await expect(s.scan(failing)).rejects.toThrow('blob store went away');
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
  });

  it('an abort stops the scan', async () => {
    const fake = await fakeClamd(() => {});
    closers.push(fake.close);
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 5000 });
    const ac = new AbortController();
    const p = s.scan(source(1000).stream, ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow('scan aborted');
  });

  it('chunks are framed with 4-byte big-endian lengths and a zero terminator', async () => {
    let got = Buffer.alloc(0);
    const fake = await fakeClamd((sock) => {
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 4 && got.subarray(-4).equals(Buffer.alloc(4))) sock.end('stream: OK\0');
      });
    });
    closers.push(fake.close);
    const s = new ClamdScanner({ unix: fake.path }, { timeoutMs: 5000, chunkBytes: 4 });
    expect(await s.scan(Readable.from([Buffer.from('abcdef')]))).toEqual({ status: 'clean' });
    const expected = Buffer.concat([
      Buffer.from('zINSTREAM\0'),
      Buffer.from([0, 0, 0, 4]),
      Buffer.from('abcd'),
      Buffer.from([0, 0, 0, 2]),
      Buffer.from('ef'),
      Buffer.alloc(4),
    ]);
    expect(got.equals(expected)).toBe(true);
  });
});

describe('verdictOf', () => {
  it('reads clamd’s answers', () => {
    expect(verdictOf('stream: OK')).toEqual({ status: 'clean' });
    expect(verdictOf('stream: Win.Test.EICAR_HDB-1 FOUND')).toEqual({
      status: 'infected',
      signature: 'Win.Test.EICAR_HDB-1',
    });
    expect(verdictOf('INSTREAM size limit exceeded. ERROR').status).toBe('unscanned');
    expect(verdictOf('stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND').status).toBe(
      'unscanned',
    );
    expect(verdictOf('stream: Can not allocate memory ERROR').status).toBe('error');
    expect(verdictOf('').status).toBe('error');
  });
});
