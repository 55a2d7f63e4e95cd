import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { FileRecord } from '../../core/records.js';
import { sendFile } from './send-file.js';
import { Throttle } from './throttle.js';

describe('Throttle', () => {
  it('passes every byte, in order, no faster than the rate', async () => {
    const data = Buffer.from(Array.from({ length: 30_000 }, (_, i) => i % 251));
    const out: Buffer[] = [];
    const started = Date.now();
    await pipeline(
      Readable.from([data.subarray(0, 10_000), data.subarray(10_000)]),
      new Throttle(50_000),
      new Writable({
        write(c: Buffer, _e, cb) {
          out.push(c);
          cb();
        },
      }),
    );
    const took = Date.now() - started;
    expect(Buffer.concat(out).equals(data)).toBe(true);
    // 30 000 bytes at 50 000 B/s: the last slice is due after ~0.5 s (the first goes at once).
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2000);
    // Slices of a tenth of a second's worth.
    expect(Math.max(...out.map((c) => c.length))).toBe(5_000);
  });

  it('a destroyed throttle stops its timer and fails the pipeline (client gone)', async () => {
    const t = new Throttle(1000);
    const source = Readable.from([Buffer.alloc(10_000)]);
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const done = pipeline(source, t, sink);
    setTimeout(() => t.destroy(new Error('client gone')), 150);
    await expect(done).rejects.toThrow('client gone');
    expect(t.destroyed).toBe(true);
  });

  it('refuses a rate of 0', () => {
    expect(() => new Throttle(0)).toThrow(RangeError);
  });
});

describe('sendFile with bytesPerSecond', () => {
  const file = {
    id: 'f',
    name: 'f.bin',
    size: 40_000,
    mimeType: 'application/octet-stream',
    blobKey: 'ab'.repeat(32),
    createdAt: 0,
  } as FileRecord;
  const bytes = Buffer.alloc(40_000, 7);

  async function serve(onSent: (n: number, whole: boolean) => void, failStore = false) {
    const server = http.createServer((req, res) => {
      void sendFile(req, res, file, {
        disposition: 'inline',
        bytesPerSecond: 40_000,
        onSent,
        readBytes: async () => bytes,
        openReader: async () => null,
        openStream: async () =>
          failStore
            ? new Readable({
                read() {
                  this.push(bytes.subarray(0, 8000));
                  this.destroy(new Error('store failed'));
                },
              })
            : Readable.from([bytes]),
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
  }

  it('sends the body slowly and counts it whole', async () => {
    let counted: [number, boolean] | null = null;
    const { server, url } = await serve((n, w) => (counted = [n, w]));
    try {
      const started = Date.now();
      const r = await fetch(url);
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.equals(bytes)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(850);
      await new Promise((r) => setTimeout(r, 50));
      expect(counted).toEqual([40_000, true]);
    } finally {
      server.close();
    }
  });

  it('a store failing mid-body ends the response and counts only what went out', async () => {
    let counted: [number, boolean] | null = null;
    const { server, url } = await serve((n, w) => (counted = [n, w]), true);
    try {
      // Cut off: the body (or, before any byte came, the response) fails.
      await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 100));
      expect(counted).not.toBeNull();
      expect(counted![0]).toBeLessThan(40_000);
      expect(counted![1]).toBe(false);
    } finally {
      server.close();
    }
  });
});
