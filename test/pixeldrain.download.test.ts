import fs from 'node:fs';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

interface Info {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  hash_sha256: string;
  date_upload: string;
  downloads: number;
  bandwidth_used: number;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Send raw bytes on a fresh connection and collect everything until the server closes it. */
function rawExchange(url: string, request: string): Promise<Buffer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname, () => sock.write(request));
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
    sock.setTimeout(5000, () => {
      sock.destroy();
      resolve(Buffer.concat(chunks));
    });
  });
}

describe('pixeldrain downloads', () => {
  let s: TestServer;
  let key: string;
  const TEXT = 'hello, world'; // 12 bytes
  let text: Info;
  const BIG_SIZE = 3 * 1024 * 1024 + 17;
  const big = randomBytes(BIG_SIZE);
  let bigInfo: Info;

  const upload = async (name: string, body: Buffer | string): Promise<Info> => {
    const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
    return (await r.json()) as Info;
  };
  const get = (id: string, headers: Record<string, string> = {}, query = '') =>
    fetch(`${s.url}/api/file/${id}${query}`, { headers });
  const info = async (id: string): Promise<Info> => {
    const r = await fetch(`${s.url}/api/file/${id}/info`);
    expect(r.status).toBe(200);
    return (await r.json()) as Info;
  };

  beforeAll(async () => {
    s = await startServer();
    key = await createUserWithKey(s, 'dora');
    text = await upload('hello.txt', TEXT);
    bigInfo = await upload('big.bin', big);
  });
  afterAll(() => s.close());

  describe('disposition', () => {
    it('is inline by default; a plain ASCII name needs filename alone', async () => {
      const r = await get(text.id);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-disposition')).toBe(`inline; filename="hello.txt"`);
      expect(await r.text()).toBe(TEXT);
    });

    it('?download gives attachment', async () => {
      for (const q of ['?download', '?download=', '?download=1']) {
        const r = await get(text.id, {}, q);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-disposition'), q).toMatch(
          /^attachment; filename="hello\.txt"$/,
        );
        expect(await r.text()).toBe(TEXT);
      }
    });

    it('names with quotes, non-ASCII and a semicolon get a safe ASCII filename and an exact filename*', async () => {
      const name = 'Résumé "final"; テスト.txt';
      const f = await upload(name, 'cv');
      const r = await get(f.id, {}, '?download');
      const cd = r.headers.get('content-disposition')!;
      const m =
        /^attachment; filename="([^"]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(cd);
      expect(m, cd).not.toBeNull();
      expect(m![1]).toMatch(/^[\x20-\x7e]+$/);
      expect(m![1]).not.toContain('"');
      expect(m![1]!.startsWith('Resume _final_; ')).toBe(true);
      expect(m![1]!.endsWith('.txt')).toBe(true);
      expect(decodeURIComponent(m![2]!)).toBe(name);
      expect(await r.text()).toBe('cv');
    });
  });

  describe('byte ranges', () => {
    const ranged = async (range: string, headers: Record<string, string> = {}) => {
      const r = await get(text.id, { Range: range, ...headers });
      return { r, body: await r.text() };
    };

    it('advertises Accept-Ranges', async () => {
      const r = await get(text.id);
      expect(r.headers.get('accept-ranges')).toBe('bytes');
      await r.arrayBuffer();
    });

    it.each([
      ['bytes=0-3', 0, 3],
      ['bytes=5-', 5, 11],
      ['bytes=-4', 8, 11],
      ['bytes=7-100', 7, 11],
      ['bytes=11-11', 11, 11],
    ])('%s -> 206 bytes %i-%i', async (range, start, end) => {
      const { r, body } = await ranged(range);
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/12`);
      expect(r.headers.get('content-length')).toBe(String(end - start + 1));
      expect(body).toBe(TEXT.slice(start, end + 1));
    });

    it('bytes=100- on a 12-byte file -> 416 with Content-Range: bytes */12', async () => {
      const { r } = await ranged('bytes=100-');
      expect(r.status).toBe(416);
      expect(r.headers.get('content-range')).toBe('bytes */12');
    });

    it('multiple ranges -> 200 with the full body', async () => {
      const { r, body } = await ranged('bytes=0-1,4-5');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-range')).toBeNull();
      expect(body).toBe(TEXT);
    });

    it('a malformed range -> 200 with the full body', async () => {
      const { r, body } = await ranged('bytes=abc');
      expect(r.status).toBe(200);
      expect(body).toBe(TEXT);
    });

    it('If-Range with the matching ETag -> 206', async () => {
      const { r, body } = await ranged('bytes=0-3', { 'If-Range': `"${text.hash_sha256}"` });
      expect(r.status).toBe(206);
      expect(body).toBe('hell');
    });

    it('If-Range with another ETag -> 200 full', async () => {
      const { r, body } = await ranged('bytes=0-3', { 'If-Range': `"${'0'.repeat(64)}"` });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-range')).toBeNull();
      expect(body).toBe(TEXT);
    });

    it('If-Range with the Last-Modified date -> 206, with another date -> 200', async () => {
      const head = await fetch(`${s.url}/api/file/${text.id}`, { method: 'HEAD' });
      const lm = head.headers.get('last-modified')!;
      expect((await ranged('bytes=0-3', { 'If-Range': lm })).r.status).toBe(206);
      expect(
        (await ranged('bytes=0-3', { 'If-Range': 'Thu, 01 Jan 1970 00:00:00 GMT' })).r.status,
      ).toBe(200);
    });
  });

  describe('conditional requests', () => {
    it('ETag is the quoted SHA-256 of the content', async () => {
      const r = await get(text.id);
      expect(r.headers.get('etag')).toBe(`"${sha256(TEXT)}"`);
      expect(text.hash_sha256).toBe(sha256(TEXT));
      await r.arrayBuffer();
    });

    it('If-None-Match with the ETag -> 304 without a body', async () => {
      for (const inm of [
        `"${text.hash_sha256}"`,
        `W/"${text.hash_sha256}"`,
        `"nope", "${text.hash_sha256}"`,
        '*',
      ]) {
        const r = await get(text.id, { 'If-None-Match': inm });
        expect(r.status, inm).toBe(304);
        expect(r.headers.get('etag')).toBe(`"${text.hash_sha256}"`);
        expect(await r.text()).toBe('');
      }
    });

    it('If-None-Match with another ETag -> 200', async () => {
      const r = await get(text.id, { 'If-None-Match': '"something-else"' });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(TEXT);
    });

    it('If-Modified-Since at or after the upload -> 304, before -> 200', async () => {
      const head = await fetch(`${s.url}/api/file/${text.id}`, { method: 'HEAD' });
      const lm = head.headers.get('last-modified')!;
      expect(Date.parse(lm)).toBe(Math.floor(Date.parse(text.date_upload) / 1000) * 1000);
      for (const ims of [lm, new Date(Date.now() + 60_000).toUTCString()]) {
        const r = await get(text.id, { 'If-Modified-Since': ims });
        expect(r.status, ims).toBe(304);
        expect(await r.text()).toBe('');
      }
      const old = await get(text.id, {
        'If-Modified-Since': new Date(Date.parse(lm) - 1000).toUTCString(),
      });
      expect(old.status).toBe(200);
      expect(await old.text()).toBe(TEXT);
      const junk = await get(text.id, { 'If-Modified-Since': 'not a date' });
      expect(junk.status).toBe(200);
      await junk.arrayBuffer();
    });

    it('If-None-Match takes precedence over If-Modified-Since', async () => {
      const r = await get(text.id, {
        'If-None-Match': '"other"',
        'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString(),
      });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(TEXT);
    });
  });

  describe('HEAD', () => {
    it('has the download headers and Content-Length', async () => {
      const r = await fetch(`${s.url}/api/file/${text.id}`, { method: 'HEAD' });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe('12');
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(r.headers.get('etag')).toBe(`"${text.hash_sha256}"`);
      expect(r.headers.get('content-disposition')).toMatch(/^inline; /);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('sends no body bytes on the wire', async () => {
      const host = new URL(s.url).host;
      const raw = await rawExchange(
        s.url,
        `HEAD /api/file/${bigInfo.id} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      const text = raw.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      expect(split).toBeGreaterThan(0);
      expect(text.slice(0, split)).toMatch(/^HTTP\/1\.1 200 /);
      expect(text.slice(0, split).toLowerCase()).toContain(`content-length: ${big.length}`);
      expect(raw.length).toBe(split + 4);
    });

    it('a ranged HEAD -> 206 with the range length', async () => {
      const r = await fetch(`${s.url}/api/file/${text.id}`, {
        method: 'HEAD',
        headers: { Range: 'bytes=2-5' },
      });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-length')).toBe('4');
      expect(r.headers.get('content-range')).toBe('bytes 2-5/12');
    });

    it('HEAD of an unknown id -> 404', async () => {
      const r = await fetch(`${s.url}/api/file/Nope1234`, { method: 'HEAD' });
      expect(r.status).toBe(404);
    });
  });

  describe('large files (streaming path)', () => {
    it('round-trips 3 MiB byte-exact', async () => {
      expect(bigInfo.size).toBe(big.length);
      expect(bigInfo.hash_sha256).toBe(sha256(big));
      const r = await get(bigInfo.id);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe(String(big.length));
      expect(r.headers.get('content-type')).toBe('application/octet-stream');
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.length).toBe(big.length);
      expect(body.equals(big)).toBe(true);
    });

    it.each([
      [1_000_000, 1_999_999], // 1 MB: streamed
      [1_500_000, 1_500_099], // small slice: read in one call
      [65_530, 65_540 + 1024 * 1024], // crosses read-chunk boundaries
      [BIG_SIZE - 70_000, BIG_SIZE - 1],
    ])('bytes=%i-%i is exact', async (start, end) => {
      const r = await get(bigInfo.id, { Range: `bytes=${start}-${end}` });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/${big.length}`);
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.length).toBe(end - start + 1);
      expect(body.equals(big.subarray(start, end + 1))).toBe(true);
    });

    it('a client that leaves mid-download leaves no open file behind', async () => {
      const huge = await upload('huge.bin', randomBytes(24 * 1024 * 1024));
      const openFds = () => fs.readdirSync('/proc/self/fd').length;
      const before = openFds();
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = http.get(`${s.url}/api/file/${huge.id}`, (res) => {
            expect(res.statusCode).toBe(200);
            let got = 0;
            res.on('data', (c: Buffer) => {
              got += c.length;
              if (got > 256 * 1024) req.destroy(); // gone after a few chunks of 24 MiB
            });
            res.on('close', () => resolve());
          });
          req.on('error', (e) =>
            (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e),
          );
        });
      }
      // The server notices the closed socket and closes the blob's file handle.
      const deadline = Date.now() + 5000;
      while (openFds() > before && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(openFds()).toBeLessThanOrEqual(before);
      // And it still serves the whole file afterwards.
      const r = await get(huge.id);
      expect(Buffer.from(await r.arrayBuffer()).length).toBe(24 * 1024 * 1024);
    });

    it('a suffix range of 100000 bytes is exact', async () => {
      const r = await get(bigInfo.id, { Range: 'bytes=-100000' });
      expect(r.status).toBe(206);
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.equals(big.subarray(big.length - 100_000))).toBe(true);
    });
  });

  describe('content types and sandboxing', () => {
    it('X-Content-Type-Options: nosniff on every download, ranged or not', async () => {
      for (const [id, headers] of [
        [text.id, {}],
        [text.id, { Range: 'bytes=0-1' }],
        [bigInfo.id, {}],
        [bigInfo.id, { Range: 'bytes=0-100000' }],
      ] as const) {
        const r = await get(id, headers);
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        await r.arrayBuffer();
      }
      const unsat = await get(text.id, { Range: 'bytes=50-' });
      expect(unsat.headers.get('x-content-type-options')).toBe('nosniff');
      await unsat.arrayBuffer();
    });

    it.each([
      [
        'page.html',
        '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>',
        'text/html',
      ],
      [
        'image.svg',
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        'image/svg+xml',
      ],
      ['app.js', 'fetch("/api/user").then(r => r.text()).then(alert);', 'text/javascript'],
      [
        'feed.xml',
        '<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
        'xml',
      ],
    ])('%s is served with a sandbox CSP', async (name, content, type) => {
      const f = await upload(name, content);
      expect(f.mime_type).toContain(type);
      for (const q of ['', '?download']) {
        const r = await get(f.id, {}, q);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toContain(type);
        const csp = r.headers.get('content-security-policy');
        expect(csp).not.toBeNull();
        expect(csp!.split(';').map((d) => d.trim())).toContain('sandbox');
        expect(csp).not.toMatch(/script-src|allow-scripts|allow-same-origin/);
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await r.text()).toBe(content);
      }
      const h = await fetch(`${s.url}/api/file/${f.id}`, { method: 'HEAD' });
      expect(h.headers.get('content-security-policy')).toContain('sandbox');
    });

    it('a PNG is detected from its signature as image/png, without a sandbox CSP', async () => {
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        randomBytes(200),
      ]);
      const f = await upload('no-extension', png);
      expect(f.mime_type).toBe('image/png');
      const r = await get(f.id);
      expect(r.headers.get('content-type')).toBe('image/png');
      expect(r.headers.get('content-security-policy')).toBeNull();
      expect(Buffer.from(await r.arrayBuffer()).equals(png)).toBe(true);
    });

    it('HTML content with a .png name is not served as HTML', async () => {
      const f = await upload('evil.png', '<html><script>alert(1)</script></html>');
      const r = await get(f.id);
      const type = r.headers.get('content-type')!;
      if (type.startsWith('text/html'))
        expect(r.headers.get('content-security-policy')).toContain('sandbox');
      else expect(type).not.toMatch(/html|xml|javascript/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      await r.arrayBuffer();
    });

    it('a text file is text/plain; charset=utf-8', async () => {
      const r = await get(text.id);
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(text.mime_type).toBe('text/plain; charset=utf-8');
      expect(r.headers.get('content-security-policy')).toBeNull();
      await r.arrayBuffer();
    });
  });

  describe('empty files', () => {
    it('download as 200 with Content-Length 0; any range is 416 bytes */0', async () => {
      const f = await upload('empty.txt', '');
      const r = await get(f.id);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe('0');
      expect(await r.text()).toBe('');
      const ranged = await get(f.id, { Range: 'bytes=0-' });
      expect(ranged.status).toBe(416);
      expect(ranged.headers.get('content-range')).toBe('bytes */0');
      await ranged.arrayBuffer();
    });
  });

  describe('errors', () => {
    it('an unknown id -> 404 JSON not_found', async () => {
      for (const id of ['Nope1234', 'x', 'has-dash', '%C3%A9']) {
        const r = await get(id);
        expect(r.status, id).toBe(404);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await r.json()) as Record<string, unknown>;
        expect(body).toEqual({ success: false, value: 'not_found', message: expect.any(String) });
        expect((body.message as string).length).toBeGreaterThan(0);
      }
    });

    it('an unknown API path -> 404 invalid_endpoint', async () => {
      for (const [method, p] of [
        ['GET', '/api/nonexistent'],
        ['GET', `/api/file/${text.id}/nonsense`],
        ['POST', '/api/definitely/not/here'],
      ]) {
        const r = await fetch(`${s.url}${p}`, { method });
        expect(r.status, p).toBe(404);
        expect(await r.json()).toMatchObject({ success: false, value: 'invalid_endpoint' });
      }
    });
  });

  describe('counters', () => {
    it('a GET counts a download and its bytes, ranged or not; HEAD and 304 count nothing', async () => {
      const f = await upload('counted.txt', 'count me please');
      const ranged = await upload('ranged.txt', 'only part of this');
      const before = await info(f.id);
      expect(before.downloads).toBe(0);
      expect(before.bandwidth_used).toBe(0);

      const r = await get(f.id);
      expect(await r.text()).toBe('count me please');
      const h = await fetch(`${s.url}/api/file/${f.id}`, { method: 'HEAD' });
      expect(h.status).toBe(200);
      const nm = await get(f.id, { 'If-None-Match': `"${f.hash_sha256}"` });
      expect(nm.status).toBe(304);
      const part = await get(ranged.id, { Range: 'bytes=0-3' });
      expect(await part.text()).toBe('only');

      await new Promise((res) => setTimeout(res, 1300));
      const after = await info(f.id);
      expect(after.downloads).toBeGreaterThanOrEqual(1);
      expect(after.bandwidth_used).toBeGreaterThanOrEqual(f.size);
      // HEAD and 304 sent no bytes.
      expect(after.bandwidth_used).toBe(f.size);
      const afterRanged = await info(ranged.id);
      expect(afterRanged.bandwidth_used).toBe(4);
      // A download manager's first range is its download (spec 2.1: unique downloads).
      expect(afterRanged.downloads).toBe(1);
    });

    it('the 3 MiB streamed download is counted: its bytes every time, the download once per client', async () => {
      const before = await info(bigInfo.id);
      for (let i = 0; i < 2; i++) {
        const r = await get(bigInfo.id);
        expect((await r.arrayBuffer()).byteLength).toBe(big.length);
      }
      await new Promise((res) => setTimeout(res, 1300));
      const after = await info(bigInfo.id);
      expect(after.bandwidth_used - before.bandwidth_used).toBe(2 * big.length);
      // Downloads are unique per client (spec 2.1): this client has downloaded it at least once now.
      expect(after.downloads).toBe(1);
    });
  });
});
