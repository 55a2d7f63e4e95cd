import http from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';
import { request } from './rules-helpers.js';

/**
 * Upload quotas on every dialect (issue 15): an account's 24-hour bytes, storage and file count
 * (instance defaults and per-account overrides), anonymous uploads per address and day.
 */

let s: TestServer;
const keys: Record<string, string> = {};
const GUEST = 'guest-key-for-tools-0123';

beforeAll(async () => {
  s = await startServer({
    userStorageQuota: '1000',
    userDailyUpload: '600',
    userMaxFiles: '3',
    anonDailyUploads: '2',
    anonDailyUploadBytes: '500',
    cheveretoAnyFile: true,
    cheveretoGuestKey: GUEST,
  });
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
    keys[name] = await createUserWithKey(s, name);
  }
  const users = s.app.runtime.core.accounts;
  // bob: many bytes, few files; erin: no 24-hour limit (so the storage quota trips first).
  await s.app.runtime.core.limits.accounts.set(
    { userId: null, name: 'test' },
    (await users.userByName('bob')).id,
    { storageQuota: -1, dailyUploadQuota: -1, maxFiles: 2 },
  );
  await s.app.runtime.core.limits.accounts.set(
    { userId: null, name: 'test' },
    (await users.userByName('erin')).id,
    { dailyUploadQuota: -1 },
  );
});
afterAll(() => s?.close());

const bytes = (n: number) => Buffer.alloc(n, 'x');

async function put(name: string, body: Buffer | null, key?: string) {
  const r = await fetch(`${s.url}/api/file/${name}`, {
    method: 'PUT',
    body: body === null ? undefined : new Uint8Array(body),
    headers: key ? { authorization: basic(key) } : {},
  });
  return {
    status: r.status,
    json: (await r.json()) as Record<string, unknown>,
    headers: r.headers,
  };
}

async function filesOf(name: string): Promise<number> {
  const u = await s.app.runtime.core.accounts.userByName(name);
  return (await s.app.runtime.core.files.usageOf(u.id)).count;
}

describe('pixeldrain', () => {
  it('PUT: past the 24-hour bytes, user_out_of_space (400)', async () => {
    expect((await put('a.bin', bytes(500), keys.alice)).status).toBe(201);
    const r = await put('b.bin', bytes(101), keys.alice);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ success: false, value: 'user_out_of_space' });
    expect(r.json.extra).toEqual({ limit: 'daily', max: 600, used: 500 });
    expect(await filesOf('alice')).toBe(1);
    expect((await put('c.bin', bytes(100), keys.alice)).status).toBe(201);
  });

  it('PUT: refused from the declared Content-Length, before the body (no 100 Continue)', async () => {
    const u = new URL(s.url);
    const res = await new Promise<{ status: number; body: string; continued: boolean }>(
      (resolve, reject) => {
        let continued = false;
        const req = http.request({
          host: u.hostname,
          port: u.port,
          method: 'PUT',
          path: '/api/file/big.bin',
          headers: {
            authorization: basic(keys.alice!),
            'content-length': '5000',
            expect: '100-continue',
          },
        });
        req.on('continue', () => (continued = true));
        req.on('response', (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode!, body, continued }));
        });
        req.on('error', reject);
        req.flushHeaders();
      },
    );
    expect(res.continued).toBe(false);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ value: 'user_out_of_space' });
  });

  it('PUT chunked (no declared size): checked once staged, nothing kept', async () => {
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(bytes(300)));
        c.close();
      },
    });
    const r = await fetch(`${s.url}/api/file/chunked.bin`, {
      method: 'PUT',
      body: stream,
      headers: { authorization: basic(keys.alice!) },
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ value: 'user_out_of_space' });
    expect(await filesOf('alice')).toBe(2);
  });

  it('POST multipart: the same error', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes(700))]), 'big.bin');
    const r = await fetch(`${s.url}/api/file`, {
      method: 'POST',
      body: form,
      headers: { authorization: basic(keys.frank!) },
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ success: false, value: 'user_out_of_space' });
    expect(await filesOf('frank')).toBe(0);
  });

  it('the storage quota (sum of the account’s file sizes)', async () => {
    expect((await put('a.bin', bytes(900), keys.erin)).status).toBe(201);
    const r = await put('b.bin', bytes(101), keys.erin);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      value: 'user_out_of_space',
      extra: { limit: 'storage', max: 1000, used: 900 },
    });
    expect((await put('c.bin', bytes(100), keys.erin)).status).toBe(201);
  });

  it('per-account overrides: unlimited bytes, at most 2 files (too_many_files 400)', async () => {
    expect((await put('1.bin', bytes(5000), keys.bob)).status).toBe(201);
    expect((await put('2.bin', bytes(5000), keys.bob)).status).toBe(201);
    const r = await put('3.bin', bytes(1), keys.bob);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ success: false, value: 'too_many_files' });
    // A copy into the account (grab) counts too.
    const grab = await fetch(`${s.url}/api/file`, {
      method: 'POST',
      body: new URLSearchParams({ grab_file: String((await put('g.bin', bytes(1))).json.id) }),
      headers: { authorization: basic(keys.bob!) },
    });
    expect(grab.status).toBe(400);
    expect(await grab.json()).toMatchObject({ value: 'too_many_files' });
  });

  it('UserInfo tells the limits and the usage honestly', async () => {
    const get = async (key: string) =>
      (await (
        await fetch(`${s.url}/api/user`, { headers: { authorization: basic(key) } })
      ).json()) as {
        subscription: Record<string, unknown>;
        storage_space_used: number;
        file_count: number;
      };
    const alice = await get(keys.alice!);
    expect(alice.subscription).toMatchObject({
      file_size_limit: s.app.runtime.config.maxFileSize,
      storage_space: 1000,
      file_expiry_days: 60,
    });
    expect(alice.storage_space_used).toBe(600);
    expect(alice.file_count).toBe(2);
    const bob = await get(keys.bob!);
    expect(bob.subscription.storage_space).toBe(-1);
    expect(typeof bob.storage_space_used).toBe('number');
  });
});

describe('FileBin', () => {
  it('maps the quotas to error ids of their own (HTTP 400)', async () => {
    const upload = async (n: number) => {
      const form = new FormData();
      form.append('file[1]', new Blob([new Uint8Array(bytes(n))]), 'f.bin');
      form.append('apikey', keys.carol!);
      const r = await fetch(`${s.url}/api/v2.2.0/file/upload`, { method: 'POST', body: form });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    expect((await upload(400)).json.status).toBe('success');
    const r = await upload(201);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ status: 'error', error_id: 'file/user-out-of-space' });
    expect(String(r.json.message)).toMatch(/24 hours/);
    expect(await filesOf('carol')).toBe(1);
  });
});

describe('Chevereto', () => {
  const upload = async (n: number, key: string, from = '127.0.0.1') => {
    const body = new URLSearchParams({ key, source: bytes(n).toString('base64') }).toString();
    const r = await request(`${s.url}/api/1/upload`, {
      method: 'POST',
      from,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    return { status: r.status, json: r.json() };
  };

  it('storage quotas answer "No space left on storage" (104)', async () => {
    expect((await upload(500, keys.dave!)).status).toBe(200);
    const r = await upload(200, keys.dave!);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      status_code: 400,
      error: { message: 'No space left on storage', code: 104 },
      status_txt: 'Bad Request',
    });
  });

  it('a resized upload counts once', async () => {
    const png = await sharp({
      create: { width: 64, height: 64, channels: 3, background: '#336699' },
    })
      .png()
      .toBuffer();
    for (let i = 0; i < 2; i++) {
      const body = new URLSearchParams({
        key: GUEST,
        source: png.toString('base64'),
        width: '16',
      }).toString();
      const r = await request(`${s.url}/api/1/upload`, {
        method: 'POST',
        from: '127.0.0.22',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(r.status, r.body.toString()).toBe(200);
      expect((r.json().image as { width: number }).width).toBe(16);
    }
  });

  it('the guest key’s uploads count per address: flood protection (130)', async () => {
    expect((await upload(10, GUEST, '127.0.0.21')).status).toBe(200);
    expect((await upload(10, GUEST, '127.0.0.21')).status).toBe(200);
    const r = await upload(10, GUEST, '127.0.0.21');
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({
      message: 'Flooding detected. You can only upload 2 images per day',
      code: 130,
    });
  });
});

describe('anonymous uploads per address and day', () => {
  /** An anonymous PUT from a chosen loopback address, with the reply's headers. */
  const anon = (name: string, n: number, from: string) =>
    new Promise<{ status: number; retryAfter: string | undefined; json: Record<string, unknown> }>(
      (resolve, reject) => {
        const req = http.request(
          `${s.url}/api/file/${name}`,
          { method: 'PUT', localAddress: from, agent: false },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('error', reject);
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                retryAfter: res.headers['retry-after'],
                json: JSON.parse(body) as Record<string, unknown>,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end('x'.repeat(n));
      },
    );

  it('count: ip_rate_limit_reached (429) with Retry-After; other addresses go on', async () => {
    expect((await anon('1.txt', 10, '127.0.0.11')).status).toBe(201);
    expect((await anon('2.txt', 10, '127.0.0.11')).status).toBe(201);
    const r = await anon('3.txt', 10, '127.0.0.11');
    expect(r.status).toBe(429);
    expect(r.json).toMatchObject({ success: false, value: 'ip_rate_limit_reached' });
    // Until the address's day is over.
    expect(Number(r.retryAfter)).toBeGreaterThan(86_000);
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(86_400);
    expect((await anon('1.txt', 10, '127.0.0.12')).status).toBe(201);
  });

  it('bytes: the daily byte budget of an address, declared or not', async () => {
    expect((await anon('1.txt', 400, '127.0.0.13')).status).toBe(201);
    const r = await anon('2.txt', 101, '127.0.0.13');
    expect(r.status).toBe(429);
    expect(r.json).toMatchObject({ value: 'ip_rate_limit_reached', extra: { kind: 'bytes' } });
    expect((await anon('3.txt', 100, '127.0.0.13')).status).toBe(201);
  });

  it('a logged-in account is not held to its address’s anonymous budget', async () => {
    const r = await request(`${s.url}/api/file/mine.txt`, {
      method: 'PUT',
      from: '127.0.0.11',
      headers: { authorization: basic(keys.frank!) },
      body: 'hello',
    });
    expect(r.status).toBe(201);
  });
});
