import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendZip } from '../src/http/common/zip.js';
import { basic, createUserWithKey, startServer, tempDir, type TestServer } from './helpers.js';

/** Zip downloads (a list, several ids) checked with Info-ZIP's unzip, and ZIP64 at the unit level. */

type Info = { id: string; name: string; size: number; hash_sha256: string };

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * The name a Content-Disposition gives: `filename*=UTF-8''...` decoded, else the plain `filename`
 * (a name plain ASCII carries has no `filename*`).
 */
function extendedFilename(header: string | null): string | null {
  const m = /filename\*=UTF-8''([^;\s]+)/i.exec(header ?? '');
  if (m) return decodeURIComponent(m[1]!);
  return /filename="([^"]*)"/.exec(header ?? '')?.[1] ?? null;
}

describe('pixeldrain zip downloads', () => {
  let s: TestServer;
  let key: string;
  let dir: string;
  const bytes = new Map<string, Uint8Array>();
  let small: Info;
  let big: Info;
  let twinA: Info;
  let twinB: Info;
  let listId: string;
  const TITLE = 'Holiday photos ☀ 2024';

  const upload = async (name: string, body: Uint8Array): Promise<Info> => {
    const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers: { Authorization: basic(key) },
    });
    expect(r.status, await r.clone().text()).toBe(201);
    const info = (await r.json()) as Info;
    bytes.set(info.id, body);
    return info;
  };

  /** Download, check the headers common to every zip, save it, and let unzip test it. */
  const fetchZip = async (url: string) => {
    const r = await fetch(url);
    expect(r.status, r.status === 200 ? '' : await r.clone().text()).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/zip');
    const body = new Uint8Array(await r.arrayBuffer());
    expect(Number(r.headers.get('content-length'))).toBe(body.length);
    const file = path.join(dir, `${sha256(body).slice(0, 16)}.zip`);
    await fs.writeFile(file, body);
    // Exits non-zero (and execFileSync throws) on any CRC or structure error.
    const test = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(test).toMatch(/No errors detected/);
    const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '');
    const entry = (name: string): Buffer =>
      execFileSync('unzip', ['-p', file, name], { maxBuffer: 64 * 1024 * 1024 });
    return { r, body, names, entry };
  };

  beforeAll(async () => {
    s = await startServer();
    dir = await tempDir('stowage-zip-');
    key = await createUserWithKey(s, 'zipper');
    small = await upload('notes.txt', new TextEncoder().encode('some notes\n'));
    big = await upload('big.bin', randomBytes(3 * 1024 * 1024 + 12345));
    twinA = await upload('same.txt', new TextEncoder().encode('first of two files named same'));
    twinB = await upload('same.txt', new TextEncoder().encode('second of two files named same'));
    const r = await fetch(`${s.url}/api/list`, {
      method: 'POST',
      body: JSON.stringify({
        title: TITLE,
        files: [small, big, twinA, twinB].map((f) => ({ id: f.id })),
      }),
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
    listId = ((await r.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('GET /api/list/{id}/zip: every file, byte for byte, named after the list', async () => {
    const { r, names, entry } = await fetchZip(`${s.url}/api/list/${listId}/zip`);
    const cd = r.headers.get('content-disposition');
    expect(cd).toMatch(/^attachment;/);
    expect(extendedFilename(cd)).toBe(`${TITLE}.zip`);
    // The plain filename is an ASCII fallback of the same name.
    expect(cd).toMatch(/filename="Holiday photos . 2024\.zip"/);

    expect(names).toHaveLength(4);
    expect(names.slice(0, 2)).toEqual(['notes.txt', 'big.bin']);
    // Two files with the same name: two distinct entries.
    expect(new Set(names).size).toBe(4);
    expect(names[2]).toBe('same.txt');
    expect(names[3]).not.toBe('same.txt');
    expect(names[3]).toMatch(/^same.*\.txt$/);
    for (const [i, f] of [small, big, twinA, twinB].entries()) {
      const got = entry(names[i]!);
      expect(got.length, f.name).toBe(f.size);
      expect(sha256(got), f.name).toBe(sha256(bytes.get(f.id)!));
      expect(sha256(got)).toBe(f.hash_sha256);
    }
  });

  it('an ASCII title is the plain filename', async () => {
    const r = await fetch(`${s.url}/api/list`, {
      method: 'POST',
      body: JSON.stringify({ title: 'My album', files: [{ id: small.id }] }),
      headers: { Authorization: basic(key) },
    });
    const { id } = (await r.json()) as { id: string };
    const { r: z, names } = await fetchZip(`${s.url}/api/list/${id}/zip`);
    expect(z.headers.get('content-disposition')).toMatch(
      /^attachment; filename="My album\.zip"(;|$)/,
    );
    expect(names).toEqual(['notes.txt']);
  });

  it('a title with path parts or control characters gives a plain, safe file name', async () => {
    const cases: Array<[string, string]> = [
      ['../../etc/passwd', '_.._etc_passwd.zip'],
      ['..\\..\\win.ini', '_.._win.ini.zip'],
      ['/abs/path', '_abs_path.zip'],
      ['..', 'list.zip'],
      ['a\nb\tc\u007f', 'a_b_c_.zip'],
      ['x'.repeat(300), 'x'.repeat(251) + '.zip'],
    ];
    for (const [title, expected] of cases) {
      const r = await fetch(`${s.url}/api/list`, {
        method: 'POST',
        body: JSON.stringify({ title, files: [{ id: small.id }] }),
        headers: { Authorization: basic(key) },
      });
      expect(r.status, title).toBe(201);
      const { id } = (await r.json()) as { id: string };
      const z = await fetch(`${s.url}/api/list/${id}/zip`, { method: 'HEAD' });
      expect(z.status, title).toBe(200);
      const cd = z.headers.get('content-disposition')!;
      expect(extendedFilename(cd), title).toBe(expected);
      expect(cd, title).not.toMatch(/[/\\]|\.\.\//);
    }
  });

  it('GET /api/file/{a},{b}?download: a zip of those files in that order', async () => {
    const { r, names, entry } = await fetchZip(
      `${s.url}/api/file/${big.id},${small.id},${twinB.id}?download`,
    );
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.zip"/);
    expect(names).toEqual(['big.bin', 'notes.txt', 'same.txt']);
    expect(sha256(entry('big.bin'))).toBe(big.hash_sha256);
    expect(sha256(entry('notes.txt'))).toBe(small.hash_sha256);
    expect(sha256(entry('same.txt'))).toBe(twinB.hash_sha256);
  });

  it('%2C works as the separator too', async () => {
    const { names } = await fetchZip(`${s.url}/api/file/${small.id}%2C${twinA.id}?download`);
    expect(names).toEqual(['notes.txt', 'same.txt']);
  });

  it('a missing id in a multi-id download -> 404 not_found naming it in extra.file', async () => {
    for (const missing of ['NoSuchZ1', 'bad-id!']) {
      const r = await fetch(
        `${s.url}/api/file/${small.id},${encodeURIComponent(missing)},${big.id}?download`,
      );
      expect(r.status, missing).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ success: false, value: 'not_found', extra: { file: missing } });
    }
  });

  it('an unknown list -> 404 not_found', async () => {
    const r = await fetch(`${s.url}/api/list/NoSuchL1/zip`);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ success: false, value: 'not_found' });
  });

  it('HEAD gives the headers of the GET and no body', async () => {
    for (const url of [
      `${s.url}/api/list/${listId}/zip`,
      `${s.url}/api/file/${small.id},${big.id}?download`,
    ]) {
      const get = await fetch(url);
      const getLength = (await get.arrayBuffer()).byteLength;
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('application/zip');
      expect(head.headers.get('content-disposition')).toBe(get.headers.get('content-disposition'));
      expect(Number(head.headers.get('content-length'))).toBe(getLength);
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    }
  });

  it('downloads through a zip count towards the files’ statistics', async () => {
    await s.app.runtime.core.traffic.flush();
    const before = (await (await fetch(`${s.url}/api/file/${small.id}/info`)).json()) as {
      bandwidth_used: number;
    };
    await fetchZip(`${s.url}/api/file/${small.id},${twinA.id}?download`);
    await s.app.runtime.core.traffic.flush();
    const after = (await (await fetch(`${s.url}/api/file/${small.id}/info`)).json()) as {
      bandwidth_used: number;
    };
    expect(after.bandwidth_used).toBe(before.bandwidth_used + small.size);
  });
});

/** A ServerResponse stand-in: counts the bytes, keeps only the last KiB (or everything). */
class CountingResponse extends Writable {
  status = 0;
  chunks: Buffer[] = [];
  headers: Record<string, unknown> = {};
  bytes = 0;
  tail = Buffer.alloc(0);

  constructor(private readonly keepAll = false) {
    super();
  }

  writeHead(status: number, headers: Record<string, unknown>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.keepAll) this.chunks.push(Buffer.from(chunk));
    this.tail = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - 1024))]);
    if (this.tail.length > 1024) this.tail = this.tail.subarray(this.tail.length - 1024);
    cb();
  }
}

/** `size` zero bytes, produced on demand. */
function zeros(size: number): Readable {
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

const signature = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

// Streams 4 GiB through CRC32 (about 11 s on a 2-core machine).
describe('sendZip ZIP64', () => {
  it(
    'an entry over 4 GiB: the announced Content-Length is sent, with ZIP64 records',
    async () => {
      const size = 4 * 1024 ** 3 + 1024 ** 2;
      const res = new CountingResponse();
      const req = { method: 'GET' } as IncomingMessage;
      const started = Date.now();
      await sendZip(req, res as unknown as ServerResponse, 'huge.zip', [
        { name: 'zeros.bin', size, mtime: new Date(0), open: async () => zeros(size) },
      ]);
      const seconds = (Date.now() - started) / 1000;
      console.log(`ZIP64: ${res.bytes} bytes in ${seconds.toFixed(1)} s`);
      expect(res.status).toBe(200);
      expect(res.headers['Content-Type']).toBe('application/zip');
      const announced = Number(res.headers['Content-Length']);
      expect(announced).toBeGreaterThan(size);
      expect(res.bytes).toBe(announced);
      expect(res.writableFinished).toBe(true);
      // ZIP64 end of central directory record, its locator, then the classic end record.
      const zip64End = res.tail.lastIndexOf(signature(0x06064b50));
      const locator = res.tail.lastIndexOf(signature(0x07064b50));
      const end = res.tail.lastIndexOf(signature(0x06054b50));
      expect(zip64End).toBeGreaterThanOrEqual(0);
      expect(locator).toBeGreaterThan(zip64End);
      expect(end).toBeGreaterThan(locator);
      // The classic end record is 22 bytes and ends the archive (no comment).
      expect(res.tail.length - end).toBe(22);
      // The locator points at the ZIP64 end record: its offset is absolute in the archive.
      const zip64EndOffset = Number(res.tail.readBigUInt64LE(locator + 8));
      expect(zip64EndOffset).toBe(res.bytes - (res.tail.length - zip64End));
      // The ZIP64 end record's central directory offset is beyond 4 GiB.
      const cdOffset = Number(res.tail.readBigUInt64LE(zip64End + 48));
      expect(cdOffset).toBeGreaterThan(size);

      // The central directory entry: 32-bit sizes saturated, the real size in the ZIP64 extra
      // field, and the CRC of what was streamed.
      const cd = res.tail.lastIndexOf(signature(0x02014b50));
      expect(cd).toBeGreaterThanOrEqual(0);
      expect(res.tail.readUInt32LE(cd + 20)).toBe(0xffffffff);
      expect(res.tail.readUInt32LE(cd + 24)).toBe(0xffffffff);
      const nameLength = res.tail.readUInt16LE(cd + 28);
      expect(res.tail.toString('utf8', cd + 46, cd + 46 + nameLength)).toBe('zeros.bin');
      // Extra fields are (id, length, data) records; find the ZIP64 one (id 1).
      const extraEnd = cd + 46 + nameLength + res.tail.readUInt16LE(cd + 30);
      let zip64Extra = -1;
      for (let p = cd + 46 + nameLength; p + 4 <= extraEnd; p += 4 + res.tail.readUInt16LE(p + 2)) {
        if (res.tail.readUInt16LE(p) === 0x0001) zip64Extra = p;
      }
      expect(zip64Extra).toBeGreaterThan(0);
      // Uncompressed size first, then compressed size (stored: the same).
      expect(Number(res.tail.readBigUInt64LE(zip64Extra + 4))).toBe(size);
      expect(Number(res.tail.readBigUInt64LE(zip64Extra + 12))).toBe(size);
      if (typeof zlib.crc32 === 'function') {
        const block = Buffer.alloc(4 * 1024 * 1024);
        let crc = 0;
        for (let left = size; left > 0; left -= block.length) {
          crc = zlib.crc32(left >= block.length ? block : block.subarray(0, left), crc);
        }
        expect(res.tail.readUInt32LE(cd + 16)).toBe(crc);
      }
    },
    10 * 60_000,
  );
});

describe('sendZip', () => {
  it('a small archive: Content-Length matches and unzip accepts it', async () => {
    const res = new CountingResponse(true);
    const content = randomBytes(100_000);
    const abc = Buffer.from('abc');
    await sendZip({ method: 'GET' } as IncomingMessage, res as unknown as ServerResponse, 'x.zip', [
      {
        name: 'a.bin',
        size: content.length,
        mtime: new Date(),
        open: async () => Readable.from([content]),
      },
      {
        name: 'A.bin',
        size: abc.length,
        mtime: new Date(),
        open: async () => Readable.from([abc]),
      },
    ]);
    const zip = Buffer.concat(res.chunks);
    expect(zip.length).toBe(Number(res.headers['Content-Length']));
    const dir = await tempDir('stowage-sendzip-');
    try {
      const file = path.join(dir, 'x.zip');
      await fs.writeFile(file, zip);
      expect(execFileSync('unzip', ['-t', file], { encoding: 'utf8' })).toMatch(/No errors/);
      const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
      // Names differing only in case would collide when extracted on Windows or macOS.
      expect(names).toEqual(['a.bin', 'A (2).bin']);
      expect(sha256(execFileSync('unzip', ['-p', file, 'a.bin']))).toBe(sha256(content));
      expect(execFileSync('unzip', ['-p', file, 'A (2).bin']).toString()).toBe('abc');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a client that leaves mid-archive: the entry being read is destroyed (its file closed)', async () => {
    // An entry that never ends on its own, as a large blob on disk would not before the client
    // leaves; destroying it is what closes the blob's file descriptor.
    const size = 1024 ** 3;
    const opened: Readable[] = [];
    let served!: Promise<void>;
    const server = http.createServer((req, res) => {
      served = sendZip(req, res, 'x.zip', [
        {
          name: 'endless.bin',
          size,
          mtime: new Date(),
          open: async () => {
            const entry = new Readable({
              read() {
                this.push(Buffer.alloc(64 * 1024));
              },
            });
            opened.push(entry);
            return entry;
          },
        },
      ]);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let got = 0;
          res.on('data', (c: Buffer) => {
            got += c.length;
            if (got > 1024 * 1024) req.destroy();
          });
          res.on('error', () => {});
          res.on('close', resolve);
        });
        req.on('error', () => {});
        setTimeout(() => reject(new Error('no close')), 10_000).unref();
      });
      await served;
      expect(opened).toHaveLength(1);
      await expect.poll(() => opened[0]!.destroyed, { timeout: 2000 }).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
