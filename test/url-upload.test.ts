import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startServer, type TestServer } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
let origin: http.Server;
let port: number;

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    if (req.url === '/pixel.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(PIXEL);
    } else if (req.url === '/slow.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      const t = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(t));
    } else if (req.url === '/huge.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(Buffer.alloc(50_000, 1));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  port = (origin.address() as AddressInfo).port;
});

afterAll(async () => {
  origin.closeAllConnections();
  await new Promise((r) => origin.close(r));
});

async function urlUpload(s: TestServer, key: string, url: string) {
  const t = Date.now();
  const r = await fetch(`${s.url}/api/1/upload`, {
    method: 'POST',
    body: new URLSearchParams({ key, source: url }),
  });
  return { status: r.status, json: (await r.json()) as Json, ms: Date.now() - t };
}

describe('URL sources through /api/1/upload', () => {
  it('refuses 127.0.0.1 without an allow-list, with a clear message', async () => {
    const s = await startServer({ urlUploads: true });
    try {
      const key = await createUserWithKey(s, 'alice');
      const res = await urlUpload(s, key, `http://127.0.0.1:${port}/huge.png`);
      expect(res.status).toBe(400);
      expect(res.json.error).toEqual({
        message: 'Invalid image URL: The address 127.0.0.1 is not allowed for URL uploads',
        code: 622,
      });
    } finally {
      await s.close();
    }
  });

  it('caps the size and the time (allow-listed test server)', async () => {
    const s = await startServer({
      urlUploads: true,
      urlUploadsAllow: '127.0.0.1',
      urlUploadsTimeoutMs: 800,
      maxFileSize: 10_000,
    });
    try {
      const key = await createUserWithKey(s, 'alice');
      let res = await urlUpload(s, key, `http://127.0.0.1:${port}/huge.png`);
      expect(res.json.error).toEqual({ message: 'File too big - max 9.8 KB', code: 400 });
      res = await urlUpload(s, key, `http://127.0.0.1:${port}/slow.png`);
      expect(res.json.error.code).toBe(622);
      expect(res.json.error.message).toMatch(/within 0.8 s/);
      expect(res.ms).toBeLessThan(3000);
      res = await urlUpload(s, key, `http://127.0.0.1:${port}/missing.png`);
      expect(res.json.error.message).toBe('Invalid image URL: The URL answered with HTTP 404');
      // GET works for URL sources (only base64 needs POST).
      const src = encodeURIComponent(`http://127.0.0.1:${port}/pixel.png`);
      const r = await fetch(`${s.url}/api/1/upload?key=${key}&source=${src}&format=txt`);
      expect(await r.text()).toMatch(/\/i\/\w+\.png$/);
    } finally {
      await s.close();
    }
  });
});
