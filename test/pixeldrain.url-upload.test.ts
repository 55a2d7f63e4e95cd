import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createUserWithKey,
  pendingUploads,
  startServer,
  type TestServer,
} from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BODY = Buffer.from('hello from a remote origin\n');
const BIG = Buffer.alloc(300 * 1024, 7);

/** The local origin URL uploads fetch from (127.0.0.1: allowed through urlUploadsAllow only). */
let origin: http.Server;
let base: string;
/** Requests to /drip still open (the server cancelled its fetch when this drops to 0). */
let dripOpen = 0;
let dripClosed: (() => void) | null = null;

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/hello.txt') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
      res.end(BODY);
    } else if (url === '/download?id=7') {
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': 'attachment; filename="report 2024.csv"',
      });
      res.end('a,b\n1,2\n');
    } else if (url === '/big.bin') {
      // 300 KiB in 1 KiB chunks, a few ms apart: progress to report, and a total.
      res.writeHead(200, { 'Content-Length': BIG.length });
      let i = 0;
      const t = setInterval(() => {
        res.write(BIG.subarray(i * 1024, (i + 1) * 1024));
        if (++i === 300) {
          clearInterval(t);
          res.end();
        }
      }, 2);
      res.on('close', () => clearInterval(t));
    } else if (url === '/drip') {
      // Never ends: a byte every 20 ms, no Content-Length.
      dripOpen++;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const t = setInterval(() => res.write(Buffer.alloc(512, 1)), 20);
      res.on('close', () => {
        clearInterval(t);
        dripOpen--;
        dripClosed?.();
      });
    } else if (url === '/huge.bin') {
      res.writeHead(200, { 'Content-Length': 50_000 });
      res.end(Buffer.alloc(50_000, 1));
    } else if (url === '/empty') {
      res.writeHead(200, { 'Content-Length': 0 }).end();
    } else {
      res.writeHead(404).end('nope');
    }
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});

afterAll(async () => {
  origin.closeAllConnections();
  await new Promise((r) => origin.close(r));
});

// A time limit past the tests' own: a fetch that ends did so because it was cancelled.
const ALLOWED = { urlUploads: true, urlUploadsAllow: '127.0.0.1', urlUploadsTimeoutMs: 300_000 };

async function postUrl(
  s: TestServer,
  fields: Record<string, string>,
  init: { key?: string; multipart?: boolean; headers?: Record<string, string> } = {},
) {
  let body: FormData | URLSearchParams;
  if (init.multipart) {
    body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
  } else {
    body = new URLSearchParams(fields);
  }
  const r = await fetch(`${s.url}/api/file`, {
    method: 'POST',
    body,
    headers: { ...(init.key ? { Authorization: basic(init.key) } : {}), ...init.headers },
  });
  const text = await r.text();
  return { status: r.status, text, type: r.headers.get('content-type') ?? '' };
}

async function infoOf(s: TestServer, id: string): Promise<Json> {
  return (await (await fetch(`${s.url}/api/file/${id}/info`)).json()) as Json;
}

async function filesOf(s: TestServer, key: string): Promise<Json[]> {
  const r = await fetch(`${s.url}/api/user/files`, { headers: { Authorization: basic(key) } });
  return ((await r.json()) as Json).files as Json[];
}

async function ndjson(s: TestServer, url: string, key: string) {
  const r = await fetch(`${s.url}/api/file`, {
    method: 'POST',
    body: new URLSearchParams({ url }),
    headers: { Authorization: basic(key), Accept: 'application/x-ndjson' },
  });
  const text = await r.text();
  const lines = text.trimEnd().split('\n');
  return {
    status: r.status,
    type: r.headers.get('content-type') ?? '',
    lines,
    parsed: lines.map((l) => JSON.parse(l) as Json),
  };
}

describe('POST /api/file with url=', () => {
  let s: TestServer;
  let key: string;

  beforeAll(async () => {
    s = await startServer(ALLOWED);
    key = await createUserWithKey(s, 'alice');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('fetches the URL and answers as the multipart upload, named by `name`', async () => {
    const res = await postUrl(s, { url: `${base}/hello.txt`, name: 'greeting.txt' }, { key });
    expect(res.status).toBe(201);
    expect(res.text).toMatch(/^\{"success":true,"id":"\w+"\}$/);
    const id = (JSON.parse(res.text) as Json).id as string;
    const bytes = Buffer.from(await (await fetch(`${s.url}/api/file/${id}`)).arrayBuffer());
    expect(bytes.equals(BODY)).toBe(true);
    expect(await infoOf(s, id)).toMatchObject({ name: 'greeting.txt', size: BODY.length });
    expect((await filesOf(s, key)).map((f) => f.id)).toContain(id);
  });

  it('names the file after the remote: Content-Disposition, else the last path segment', async () => {
    let res = await postUrl(s, { url: `${base}/download?id=7` }, { key, multipart: true });
    expect(res.status).toBe(201);
    let id = (JSON.parse(res.text) as Json).id as string;
    expect((await infoOf(s, id)).name).toBe('report 2024.csv');
    res = await postUrl(s, { url: `${base}/hello.txt` }, { key, multipart: true });
    id = (JSON.parse(res.text) as Json).id as string;
    expect((await infoOf(s, id)).name).toBe('hello.txt');
  });

  it('anonymous: the delete key comes first; anonymous=true keeps it out of the account', async () => {
    let res = await postUrl(s, { url: `${base}/hello.txt` });
    expect(res.status).toBe(201);
    expect(res.text).toMatch(/^\{"deleteKey":"[^"]+","success":true,"id":"\w+"\}$/);
    res = await postUrl(s, { url: `${base}/hello.txt`, anonymous: 'true' }, { key });
    const body = JSON.parse(res.text) as Json;
    expect(body.deleteKey).toBeTruthy();
    expect((await filesOf(s, key)).map((f) => f.id)).not.toContain(body.id);
  });

  it('answers the fetch failures with their own values', async () => {
    const cases: [string, number, string, RegExp][] = [
      ['ftp://example.com/a', 400, 'invalid_url', /http and https/],
      ['not a url', 400, 'invalid_url', /not valid/],
      ['http://169.254.169.254/latest/meta-data', 400, 'forbidden_address', /169\.254\.169\.254/],
      [`${base}/missing`, 502, 'remote_http_status', /HTTP 404/],
      ['http://127.0.0.1:1/', 502, 'remote_unreachable', /could not be fetched/],
      [`${base}/empty`, 422, 'no_file', /empty/],
    ];
    for (const [url, status, value, message] of cases) {
      const res = await postUrl(s, { url }, { key });
      expect({ url, status: res.status }).toEqual({ url, status });
      const body = JSON.parse(res.text) as Json;
      expect(body).toMatchObject({ success: false, value });
      expect(body.message).toMatch(message);
    }
  });

  it('checks the name before fetching anything', async () => {
    const res = await postUrl(s, { url: `${base}/drip`, name: 'a/b' }, { key });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text)).toMatchObject({ value: 'name_contains_illegal_character' });
    expect(dripOpen).toBe(0);
  });

  it('streams NDJSON progress, then the result line, when asked', async () => {
    const res = await ndjson(s, `${base}/big.bin`, key);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/x-ndjson/);
    const progress = res.parsed.slice(0, -1);
    expect(progress[0]).toEqual({ received: 0, total: null });
    for (const p of progress) expect(Object.keys(p).sort()).toEqual(['received', 'total']);
    const later = progress.slice(1);
    expect(later.length).toBeGreaterThan(0);
    for (const p of later) expect(p.total).toBe(BIG.length);
    const counts = progress.map((p) => p.received as number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // 300 chunks arrived; a line is written at most every 250 ms, not one per chunk.
    expect(progress.length).toBeLessThan(30);
    expect(res.lines.at(-1)).toMatch(/^\{"success":true,"id":"\w+"\}$/);
    const id = res.parsed.at(-1)!.id as string;
    expect((await infoOf(s, id)).size).toBe(BIG.length);
  });

  it('ends the NDJSON stream with the error object when the fetch fails', async () => {
    const res = await ndjson(s, `${base}/missing`, key);
    expect(res.status).toBe(200);
    expect(res.parsed.at(-1)).toEqual({
      success: false,
      value: 'remote_http_status',
      message: 'The URL answered with HTTP 404',
    });
  });

  for (const mode of ['NDJSON', 'plain'] as const) {
    it(`a client that goes away cancels the fetch (${mode}): no file, no staging left`, async () => {
      const before = (await filesOf(s, key)).length;
      const ac = new AbortController();
      const closed = new Promise<void>((r) => (dripClosed = r));
      const r = fetch(`${s.url}/api/file`, {
        method: 'POST',
        body: new URLSearchParams({ url: `${base}/drip` }),
        headers: {
          Authorization: basic(key),
          ...(mode === 'NDJSON' ? { Accept: 'application/x-ndjson' } : {}),
        },
        signal: ac.signal,
      });
      if (mode === 'NDJSON') {
        // Read until the server reports bytes received, then hang up.
        const reader = (await r).body!.getReader();
        let seen = '';
        while (!/"received":[1-9]/.test(seen)) {
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended early');
          seen += Buffer.from(value).toString();
        }
      } else {
        // The fetch has begun when the origin has a request open.
        while (dripOpen === 0) await new Promise((res) => setTimeout(res, 10));
        await new Promise((res) => setTimeout(res, 100));
      }
      ac.abort();
      await r.then((res) => res.body?.cancel()).catch(() => {});
      await closed;
      expect(dripOpen).toBe(0);
      // The upload's own clean-up runs right after the fetch stops.
      for (let i = 0; i < 100 && (await pendingUploads(s)) > 0; i++) {
        await new Promise((res) => setTimeout(res, 20));
      }
      expect(await pendingUploads(s)).toBe(0);
      expect((await filesOf(s, key)).length).toBe(before);
    });
  }
});

describe('URL uploads: the setting and the limits', () => {
  it('refuses when URL uploads are off (the default)', async () => {
    const s = await startServer();
    try {
      const key = await createUserWithKey(s, 'alice');
      const res = await postUrl(s, { url: `${base}/hello.txt` }, { key });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text)).toEqual({
        success: false,
        value: 'url_uploads_disabled',
        message: 'URL uploads are disabled on this server',
      });
    } finally {
      await s.close();
    }
  });

  it('refuses 127.0.0.1 unless allow-listed', async () => {
    const s = await startServer({ urlUploads: true });
    try {
      const key = await createUserWithKey(s, 'alice');
      const res = await postUrl(s, { url: `${base}/hello.txt` }, { key });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({
        value: 'forbidden_address',
        message: 'The address 127.0.0.1 is not allowed for URL uploads',
      });
    } finally {
      await s.close();
    }
  });

  it('applies the size limit, the time limit, the quotas and the anonymous rule', async () => {
    const s = await startServer({
      ...ALLOWED,
      urlUploadsTimeoutMs: 600,
      maxFileSize: 10_000,
      userStorageQuota: 5_000,
      allowAnonymousUploads: false,
    });
    try {
      const key = await createUserWithKey(s, 'alice');
      let res = await postUrl(s, { url: `${base}/huge.bin` }, { key });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text)).toMatchObject({ value: 'file_too_large' });
      // No Content-Length: cut off while streaming, at the size limit or the time limit.
      res = await postUrl(s, { url: `${base}/drip` }, { key });
      expect([413, 504]).toContain(res.status);
      const value = (JSON.parse(res.text) as Json).value as string;
      expect(value).toBe(res.status === 413 ? 'file_too_large' : 'remote_timeout');
      // 27 bytes fit the 5,000-byte quota; big.bin's declared 300 KiB is over the size limit.
      res = await postUrl(s, { url: `${base}/hello.txt` }, { key });
      expect(res.status).toBe(201);
      res = await postUrl(s, { url: `${base}/hello.txt` });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toMatchObject({ value: 'authentication_required' });
      expect(await pendingUploads(s)).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('refuses a URL whose declared size is over the account quota before reading it', async () => {
    const s = await startServer({ ...ALLOWED, userStorageQuota: 20 });
    try {
      const key = await createUserWithKey(s, 'alice');
      const res = await postUrl(s, { url: `${base}/hello.txt` }, { key });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ value: 'user_out_of_space' });
      expect(await pendingUploads(s)).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('times out a slow remote with remote_timeout', async () => {
    const s = await startServer({ ...ALLOWED, urlUploadsTimeoutMs: 400 });
    try {
      const key = await createUserWithKey(s, 'alice');
      const res = await postUrl(s, { url: `${base}/drip` }, { key });
      expect(res.status).toBe(504);
      expect(JSON.parse(res.text)).toMatchObject({
        value: 'remote_timeout',
        message: 'The URL could not be fetched within 0.4 s',
      });
    } finally {
      await s.close();
    }
  });
});
