import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { sendTarGz, type TarEntry } from './tar.js';

/** A server whose every request answers with a tarball of `entries()`. */
async function serve(
  entries: () => TarEntry[],
): Promise<{ url: string; failures: unknown[]; close(): Promise<void> }> {
  const failures: unknown[] = [];
  const server = http.createServer((req, res) => {
    sendTarGz(req, res, 'x.tar.gz', entries()).catch((err: unknown) => {
      failures.push(err);
      res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    failures,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const entry = (name: string, body: Buffer | string): TarEntry => {
  const bytes = Buffer.from(body);
  return { name, size: bytes.length, mtime: new Date(0), open: async () => Readable.from([bytes]) };
};

describe('sendTarGz', () => {
  let closeServer: (() => Promise<void>) | null = null;
  let dir: string | null = null;
  afterEach(async () => {
    await closeServer?.();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    closeServer = dir = null;
  });

  it('long and non-ASCII names survive GNU tar extraction whole', async () => {
    // 150 bytes of UTF-8 (2-byte characters) and an extension that must not be cut off.
    const long = 'é'.repeat(73) + '.txt';
    expect(Buffer.byteLength(long)).toBe(150);
    const ascii = 'a'.repeat(120) + '.tar.gz';
    const s = await serve(() => [
      entry(long, 'long name\n'),
      entry(ascii, Buffer.alloc(70_000, 1)),
      entry('dir/../x.txt', 'flat\n'),
      entry('short.txt', 'short\n'),
    ]);
    closeServer = s.close;
    const r = await fetch(s.url);
    expect(r.headers.get('content-type')).toBe('application/x-gzip');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-tar-'));
    await fs.writeFile(path.join(dir, 'x.tar.gz'), Buffer.from(await r.arrayBuffer()));
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    execFileSync('tar', ['-xzf', path.join(dir, 'x.tar.gz'), '-C', out]);
    expect((await fs.readdir(out)).sort()).toEqual(
      [long, ascii, 'dir_.._x.txt', 'short.txt'].sort(),
    );
    expect(await fs.readFile(path.join(out, long), 'utf8')).toBe('long name\n');
    expect((await fs.readFile(path.join(out, ascii))).equals(Buffer.alloc(70_000, 1))).toBe(true);
    expect(await fs.readFile(path.join(out, 'dir_.._x.txt'), 'utf8')).toBe('flat\n');
    const listing = execFileSync('tar', ['-tvzf', path.join(dir, 'x.tar.gz')], {
      encoding: 'utf8',
    });
    expect(listing).toContain('short.txt');
    expect(s.failures).toEqual([]);
  });

  it('an entry of 8 GiB or more gets a base-256 size (streamed, never buffered)', async () => {
    const size = 8 * 1024 ** 3 + 5;
    let opened: Readable | null = null;
    const s = await serve(() => [
      {
        name: 'huge.bin',
        size,
        mtime: new Date(0),
        open: async () => {
          // Endless zeros: only the first blocks are ever read.
          const zeros = Buffer.alloc(64 * 1024);
          opened = new Readable({ read: () => void opened!.push(zeros) });
          return opened;
        },
      },
    ]);
    closeServer = s.close;
    const ac = new AbortController();
    const r = await fetch(s.url, { signal: ac.signal });
    const gunzip = createGunzip();
    Readable.fromWeb(r.body as never)
      .on('error', () => {})
      .pipe(gunzip);
    let head = Buffer.alloc(0);
    for await (const chunk of gunzip) {
      head = Buffer.concat([head, chunk as Buffer]);
      if (head.length >= 512) break;
    }
    ac.abort();
    expect(head.subarray(0, 8).toString()).toBe('huge.bin');
    expect(head[124]).toBe(0x80);
    expect(head.readBigUInt64BE(128)).toBe(BigInt(size));
    // The client went away: the entry's stream is closed, nothing keeps reading it.
    await expect.poll(() => opened?.destroyed).toBe(true);
  });

  it('an entry whose stream fails ends the response unfinished', async () => {
    let second: Readable | null = null;
    const s = await serve(() => [
      {
        name: 'broken.bin',
        size: 100_000,
        mtime: new Date(0),
        open: async () => {
          let sent = false;
          const r = new Readable({
            read() {
              if (sent) return void r.destroy(new Error('disk on fire'));
              sent = true;
              r.push(Buffer.alloc(10_000));
            },
          });
          return r;
        },
      },
      {
        name: 'never.txt',
        size: 1,
        mtime: new Date(0),
        open: async () => (second = Readable.from([Buffer.from('x')])),
      },
    ]);
    closeServer = s.close;
    await expect(fetch(s.url).then((r) => r.arrayBuffer())).rejects.toThrow();
    await expect.poll(() => s.failures.length).toBe(1);
    expect(String(s.failures[0])).toMatch(/disk on fire/);
    expect(second).toBeNull();
  });
});
