import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

const FILE_INFO_KEYS = [
  'success',
  'id',
  'name',
  'size',
  'views',
  'bandwidth_used',
  'bandwidth_used_paid',
  'downloads',
  'date_upload',
  'date_last_view',
  'mime_type',
  'thumbnail_href',
  'hash_sha256',
  'delete_after_date',
  'delete_after_downloads',
  'availability',
  'availability_message',
  'abuse_type',
  'abuse_reporter_name',
  'can_edit',
  'can_download',
  'show_ads',
  'allow_video_player',
  'download_speed_limit',
];
const ID = /^[A-Za-z0-9]{8}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A request with the path sent exactly as given (fetch would normalise dot segments). */
function rawRequest(
  url: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path: rawPath, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('pixeldrain uploads', () => {
  let s: TestServer;
  let key: string;
  let otherKey: string;
  let tmp: string;

  const put = (name: string, body: BodyInit | null, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, { method: 'PUT', body, headers });
  const post = (form: FormData, headers: Record<string, string> = {}, query = '') =>
    fetch(`${s.url}/api/file${query}`, { method: 'POST', body: form, headers });
  const info = async (id: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${s.url}/api/file/${id}/info`, { headers });
    expect(r.status).toBe(200);
    return (await r.json()) as Record<string, unknown>;
  };
  const download = async (id: string) => {
    const r = await fetch(`${s.url}/api/file/${id}`);
    expect(r.status).toBe(200);
    return Buffer.from(await r.arrayBuffer());
  };

  beforeAll(async () => {
    s = await startServer();
    key = await createUserWithKey(s, 'alice');
    otherKey = await createUserWithKey(s, 'bob');
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-upload-'));
  });
  afterAll(async () => {
    await s.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  describe('PUT /api/file/{name}', () => {
    it('answers 201 with {"success":true,"id":... then the FileInfo fields in spec order', async () => {
      const r = await put('hello.txt', 'hello world', { Authorization: basic(key) });
      expect(r.status).toBe(201);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await r.text();
      expect(text.startsWith('{"success":true,"id":"')).toBe(true);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(FILE_INFO_KEYS);
      expect(body.id).toMatch(ID);
      expect(
        text.startsWith(
          `{"success":true,"id":"${body.id as string}","name":"hello.txt","size":11,`,
        ),
      ).toBe(true);
      expect(body).toMatchObject({
        success: true,
        name: 'hello.txt',
        size: 11,
        mime_type: 'text/plain; charset=utf-8',
        hash_sha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
        can_edit: true,
        thumbnail_href: `/file/${body.id as string}/thumbnail`,
      });
      expect((await download(body.id as string)).toString()).toBe('hello world');
    });

    it('an anonymous PUT is not owned and returns a delete key after the FileInfo fields', async () => {
      const r = await put('anon.txt', 'anonymous bytes');
      expect(r.status).toBe(201);
      const text = await r.text();
      expect(text.startsWith('{"success":true,"id":"')).toBe(true);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual([...FILE_INFO_KEYS, 'deleteKey']);
      expect(body.can_edit).toBe(false);
      expect(body.deleteKey).toMatch(UUID);
      expect((await info(body.id as string, { Authorization: basic(key) })).can_edit).toBe(false);
    });

    it('accepts an empty body as an empty file', async () => {
      const r = await put('empty.bin', '', { Authorization: basic(key) });
      expect(r.status).toBe(201);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body.size).toBe(0);
      expect(body.hash_sha256).toBe(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
    });

    it('accepts a chunked body without Content-Length', async () => {
      const parts = ['chunk-one ', 'chunk-two ', 'chunk-three'];
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (const p of parts) c.enqueue(new TextEncoder().encode(p));
          c.close();
        },
      });
      const r = await fetch(`${s.url}/api/file/chunked.txt`, {
        method: 'PUT',
        body: stream,
        headers: { Authorization: basic(key) },
        duplex: 'half',
      } as RequestInit);
      expect(r.status).toBe(201);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body.size).toBe(parts.join('').length);
      expect((await download(body.id as string)).toString()).toBe(parts.join(''));
    });

    it.skipIf(!hasCurl)(
      '`curl -T f.txt -u :KEY http://host/api/file/` uploads a file owned by the key (needs the curl binary)',
      async () => {
        const file = path.join(tmp, 'curl-upload.txt');
        await fs.writeFile(file, 'uploaded with curl\n');
        // Without "100 Continue" curl would wait this long before sending the body anyway.
        const { stdout } = await promisify(execFile)('curl', [
          '-sS',
          '--expect100-timeout',
          '15',
          '-T',
          file,
          '-u',
          `:${key}`,
          `${s.url}/api/file/`,
        ]);
        const body = JSON.parse(stdout) as Record<string, unknown>;
        expect(body.success).toBe(true);
        expect(body.id).toMatch(ID);
        expect(body.name).toBe('curl-upload.txt');
        const id = body.id as string;
        expect((await info(id, { Authorization: basic(key) })).can_edit).toBe(true);
        expect((await info(id)).can_edit).toBe(false);
        expect((await info(id, { Authorization: basic(otherKey) })).can_edit).toBe(false);
        expect((await download(id)).toString()).toBe('uploaded with curl\n');
      },
    );

    it.skipIf(!hasCurl)(
      'curl -T of a 2 MiB file (curl sends Expect: 100-continue) round-trips (needs the curl binary)',
      async () => {
        const file = path.join(tmp, 'big.bin');
        const data = Buffer.alloc(2 * 1024 * 1024);
        for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
        await fs.writeFile(file, data);
        const started = Date.now();
        // Without "100 Continue" curl would wait this long before sending the body anyway.
        const { stdout } = await promisify(execFile)('curl', [
          '-sS',
          '--expect100-timeout',
          '15',
          '-T',
          file,
          '-u',
          `:${key}`,
          `${s.url}/api/file/`,
        ]);
        const body = JSON.parse(stdout) as Record<string, unknown>;
        expect(body.size).toBe(data.length);
        expect((await download(body.id as string)).equals(data)).toBe(true);
        // The server answered "100 Continue" itself, well before curl's timeout.
        expect(Date.now() - started).toBeLessThan(5000);
      },
    );

    it('a multipart Content-Type is refused with 400 invalid_content_type', async () => {
      const r = await put('x.txt', 'data', {
        Authorization: basic(key),
        'Content-Type': 'multipart/form-data; boundary=xyz',
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ success: false, value: 'invalid_content_type' });
    });

    it('a name of 255 characters is accepted', async () => {
      const name = 'n'.repeat(251) + '.txt';
      const r = await put(name, 'x', { Authorization: basic(key) });
      expect(r.status).toBe(201);
      expect(((await r.json()) as Record<string, unknown>).name).toBe(name);
    });

    it('a name of 256 characters is refused with 422 string_out_of_range', async () => {
      const r = await put('n'.repeat(252) + '.txt', 'x', { Authorization: basic(key) });
      expect(r.status).toBe(422);
      expect(await r.json()).toEqual({
        success: false,
        value: 'string_out_of_range',
        message: expect.any(String),
        extra: { field: 'name', min_len: 1, max_len: 255, len: 256 },
      });
    });

    it.each([
      ['a newline', 'a\nb.txt', '\n'],
      ['a NUL', 'a\u0000b.txt', '\u0000'],
      ['a carriage return', 'a\rb.txt', '\r'],
      ['an escape', 'a\u001bb.txt', '\u001b'],
      ['DEL', 'a\u007fb.txt', '\u007f'],
      ['a backslash', 'dir\\b.txt', '\\'],
      ['a slash', 'dir/b.txt', '/'],
    ])(
      'a name with %s is refused with 422 name_contains_illegal_character',
      async (_what, name, char) => {
        const r = await put(name, 'x', { Authorization: basic(key) });
        expect(r.status).toBe(422);
        const body = (await r.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ success: false, value: 'name_contains_illegal_character' });
        expect(body.extra).toEqual({ illegal_chars: char });
      },
    );

    it.each(['/api/file/%2E%2E', '/api/file/%2e.', '/api/file/..', '/api/file/.'])(
      'the dot name %s is refused with 422 name_contains_illegal_character',
      async (rawPath) => {
        const r = await rawRequest(
          s.url,
          'PUT',
          rawPath,
          { Authorization: basic(key), 'Content-Length': '1' },
          'x',
        );
        expect(r.status).toBe(422);
        expect(JSON.parse(r.body)).toMatchObject({
          success: false,
          value: 'name_contains_illegal_character',
        });
      },
    );

    it('PUT /api/file/ without a name is refused', async () => {
      const r = await fetch(`${s.url}/api/file/`, {
        method: 'PUT',
        body: 'x',
        headers: { Authorization: basic(key) },
      });
      expect(r.status).toBe(422);
      expect(await r.json()).toMatchObject({
        value: 'string_out_of_range',
        extra: { field: 'name', len: 0 },
      });
    });

    it('unicode names round-trip through info and Content-Disposition', async () => {
      const name = 'テスト ünï "q" 🎉;x.txt';
      const r = await put(name, 'unicode', { Authorization: basic(key) });
      expect(r.status).toBe(201);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body.name).toBe(name);
      const id = body.id as string;
      expect((await info(id)).name).toBe(name);
      const g = await fetch(`${s.url}/api/file/${id}`);
      expect(g.status).toBe(200);
      const cd = g.headers.get('content-disposition')!;
      const star = /filename\*=UTF-8''([^;\s]+)/.exec(cd);
      expect(star).not.toBeNull();
      expect(decodeURIComponent(star![1]!)).toBe(name);
      expect(await g.text()).toBe('unicode');
    });

    it('a decomposed (NFD) name is stored in NFC', async () => {
      const r = await put('Cafe\u0301.txt', 'nfc', { Authorization: basic(key) });
      expect(r.status).toBe(201);
      expect(((await r.json()) as Record<string, unknown>).name).toBe('Caf\u00e9.txt');
    });
  });

  describe('POST /api/file (multipart)', () => {
    const form = (content: string, filename = 'form.txt', fields: Record<string, string> = {}) => {
      const f = new FormData();
      for (const [k, v] of Object.entries(fields)) f.append(k, v);
      f.append('file', new Blob([content]), filename);
      return f;
    };

    it('authenticated: 201 with exactly {"success":true,"id":"XXXXXXXX"}', async () => {
      const r = await post(form('posted content'), { Authorization: basic(key) });
      expect(r.status).toBe(201);
      const text = await r.text();
      expect(text).toMatch(/^\{"success":true,"id":"[A-Za-z0-9]{8}"\}$/);
      const id = (JSON.parse(text) as { id: string }).id;
      const i = await info(id, { Authorization: basic(key) });
      expect(i).toMatchObject({ name: 'form.txt', size: 14, can_edit: true });
      expect((await download(id)).toString()).toBe('posted content');
    });

    it('anonymous: {"deleteKey":...,"success":true,"id":...} and the client regex captures exactly the id', async () => {
      const r = await post(form('anonymous post'));
      expect(r.status).toBe(201);
      const text = await r.text();
      expect(text).toMatch(
        /^\{"deleteKey":"[0-9a-f-]{36}","success":true,"id":"[A-Za-z0-9]{8}"\}$/,
      );
      const body = JSON.parse(text) as { deleteKey: string; success: boolean; id: string };
      expect(Object.keys(body)).toEqual(['deleteKey', 'success', 'id']);
      expect(body.deleteKey).toMatch(UUID);
      // bkifft/pixeldrain-tools and pixelput.py: "success":true,"id":"(.*)"
      const m = /"success":true,"id":"(.*)"/.exec(text);
      expect(m?.[1]).toBe(body.id);
      // pdup: grep -Po '(?<="id":")[^"]*'
      expect(text.match(/(?<="id":")[^"]*/g)).toEqual([body.id]);
      expect((await info(body.id)).can_edit).toBe(false);
    });

    it('anonymous=true with a key: not owned, delete key returned', async () => {
      const r = await post(form('not mine', 'anon.txt', { anonymous: 'true' }), {
        Authorization: basic(key),
      });
      expect(r.status).toBe(201);
      const body = (await r.json()) as { deleteKey?: string; id: string };
      expect(body.deleteKey).toMatch(UUID);
      expect((await info(body.id, { Authorization: basic(key) })).can_edit).toBe(false);
    });

    it('anonymous=false with a key: owned, no delete key', async () => {
      const r = await post(form('mine', 'mine.txt', { anonymous: 'false' }), {
        Authorization: basic(key),
      });
      expect(r.status).toBe(201);
      const text = await r.text();
      expect(text).not.toContain('deleteKey');
      const body = JSON.parse(text) as { id: string };
      expect((await info(body.id, { Authorization: basic(key) })).can_edit).toBe(true);
    });

    it('a name field overrides the file part filename', async () => {
      const r = await post(form('renamed', 'original.txt', { name: 'override.txt' }), {
        Authorization: basic(key),
      });
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      expect((await info(id)).name).toBe('override.txt');
    });

    it('a file part filename with a path keeps only its last component', async () => {
      const r = await post(form('pathy', 'C:\\Users\\me\\path name.txt'), {
        Authorization: basic(key),
      });
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      expect((await info(id)).name).toBe('path name.txt');
    });

    it('without a file part: 422 no_file', async () => {
      const f = new FormData();
      f.append('name', 'nothing.txt');
      const r = await post(f, { Authorization: basic(key) });
      expect(r.status).toBe(422);
      expect(await r.json()).toMatchObject({ success: false, value: 'no_file' });
    });

    it('with an empty file: 422 no_file', async () => {
      const r = await post(form('', 'empty.txt'), { Authorization: basic(key) });
      expect(r.status).toBe(422);
      expect(await r.json()).toMatchObject({ success: false, value: 'no_file' });
    });

    it('a non-multipart body: 422 no_file', async () => {
      const r = await fetch(`${s.url}/api/file`, {
        method: 'POST',
        body: 'raw',
        headers: { Authorization: basic(key), 'Content-Type': 'text/plain' },
      });
      expect(r.status).toBe(422);
      expect(await r.json()).toMatchObject({ value: 'no_file' });
    });

    it('a name field over 255 characters before the file: 422 string_out_of_range', async () => {
      const r = await post(form('x', 'f.txt', { name: 'n'.repeat(256) }), {
        Authorization: basic(key),
      });
      expect(r.status).toBe(422);
      expect(await r.json()).toMatchObject({
        success: false,
        value: 'string_out_of_range',
        extra: { field: 'name', min_len: 1, max_len: 255, len: 256 },
      });
    });

    it('a name field with illegal characters: 422 name_contains_illegal_character', async () => {
      const r = await post(form('x', 'f.txt', { name: 'a\\b' }), { Authorization: basic(key) });
      expect(r.status).toBe(422);
      expect(await r.json()).toMatchObject({ value: 'name_contains_illegal_character' });
    });
  });

  describe('authentication', () => {
    it('a random (unknown) key: 401 authentication_failed on PUT and POST', async () => {
      const bad = basic(randomUUID());
      const r1 = await put('bad.txt', 'x', { Authorization: bad });
      expect(r1.status).toBe(401);
      expect(await r1.json()).toMatchObject({ success: false, value: 'authentication_failed' });
      const f = new FormData();
      f.append('file', new Blob(['x']), 'bad.txt');
      const r2 = await post(f, { Authorization: bad });
      expect(r2.status).toBe(401);
      expect(await r2.json()).toMatchObject({ success: false, value: 'authentication_failed' });
    });

    it('a malformed key: 401 authentication_failed', async () => {
      const r = await put('bad.txt', 'x', { Authorization: basic('not-a-key') });
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ value: 'authentication_failed' });
    });

    it('a stale pd_auth_key cookie on an upload is refused, not turned into an anonymous upload', async () => {
      const r = await put('stale.txt', 'x', { Cookie: `pd_auth_key=${randomUUID()}` });
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ success: false, value: 'authentication_failed' });
    });

    it('a malformed percent-encoding in the path gets the pixeldrain error shape', async () => {
      const r = await rawRequest(s.url, 'PUT', '/api/file/%ZZ.txt', {}, 'x');
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ success: false, value: 'error_reading_input' });
    });

    it('the key as Basic password with any username works', async () => {
      const r = await put('user.txt', 'x', { Authorization: basic(key, 'someone') });
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      expect((await info(id, { Authorization: basic(key) })).can_edit).toBe(true);
      expect((await info(id, { Authorization: basic(key, 'anyone-else') })).can_edit).toBe(true);
    });

    it('the pd_auth_key cookie gives ownership on PUT and POST', async () => {
      const r = await put('cookie.txt', 'x', { Cookie: `theme=dark; pd_auth_key=${key}` });
      expect(r.status).toBe(201);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body.can_edit).toBe(true);
      expect(body).not.toHaveProperty('deleteKey');
      expect((await info(body.id as string, { Cookie: `pd_auth_key=${key}` })).can_edit).toBe(true);
      expect((await info(body.id as string, { Cookie: `pd_auth_key=${otherKey}` })).can_edit).toBe(
        false,
      );

      const f = new FormData();
      f.append('file', new Blob(['y']), 'cookie-post.txt');
      const r2 = await post(f, { Cookie: `pd_auth_key=${key}` });
      expect(r2.status).toBe(201);
      const text = await r2.text();
      expect(text).toMatch(/^\{"success":true,"id":"[A-Za-z0-9]{8}"\}$/);
      expect(
        (await info((JSON.parse(text) as { id: string }).id, { Authorization: basic(key) }))
          .can_edit,
      ).toBe(true);
    });
  });

  describe('size limit (maxFileSize 1KB)', () => {
    let small: TestServer;
    let k: string;
    beforeAll(async () => {
      small = await startServer({ maxFileSize: '1KB' });
      k = await createUserWithKey(small, 'ivan');
    });
    afterAll(() => small.close());

    const expect413 = async (r: Response) => {
      expect(r.status).toBe(413);
      expect(await r.json()).toMatchObject({ success: false, value: 'file_too_large' });
    };

    it('a PUT of exactly the limit is accepted', async () => {
      const r = await fetch(`${small.url}/api/file/limit.bin`, {
        method: 'PUT',
        body: 'x'.repeat(1000),
        headers: { Authorization: basic(k) },
      });
      expect(r.status).toBe(201);
      expect(((await r.json()) as { size: number }).size).toBe(1000);
    });

    it('a PUT declaring more than the limit: 413 file_too_large', async () => {
      await expect413(
        await fetch(`${small.url}/api/file/big.bin`, {
          method: 'PUT',
          body: 'x'.repeat(1001),
          headers: { Authorization: basic(k) },
        }),
      );
    });

    it('a chunked PUT going over the limit: 413 file_too_large', async () => {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(600).fill(120));
          c.close();
        },
      });
      await expect413(
        await fetch(`${small.url}/api/file/big.bin`, {
          method: 'PUT',
          body,
          headers: { Authorization: basic(k) },
          duplex: 'half',
        } as RequestInit),
      );
    });

    it('a multipart POST with a file over the limit: 413 file_too_large', async () => {
      const f = new FormData();
      f.append('file', new Blob(['y'.repeat(2000)]), 'big.txt');
      await expect413(
        await fetch(`${small.url}/api/file`, {
          method: 'POST',
          body: f,
          headers: { Authorization: basic(k) },
        }),
      );
    });
  });

  describe('with anonymous uploads disabled', () => {
    let closed: TestServer;
    let k: string;
    beforeAll(async () => {
      closed = await startServer({ allowAnonymousUploads: false });
      k = await createUserWithKey(closed, 'carol');
    });
    afterAll(() => closed.close());

    const putTo = (headers: Record<string, string>) =>
      fetch(`${closed.url}/api/file/closed.txt`, { method: 'PUT', body: 'closed', headers });
    const postTo = (headers: Record<string, string>) => {
      const f = new FormData();
      f.append('file', new Blob(['closed']), 'closed.txt');
      return fetch(`${closed.url}/api/file`, { method: 'POST', body: f, headers });
    };

    it('PUT and POST without a key: 401 authentication_required', async () => {
      for (const r of [await putTo({}), await postTo({})]) {
        expect(r.status).toBe(401);
        expect(await r.json()).toMatchObject({ success: false, value: 'authentication_required' });
      }
    });

    it('a stale cookie does not count as a key: 401', async () => {
      const r = await putTo({ Cookie: `pd_auth_key=${randomUUID()}` });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { value: string }).value).toMatch(
        /^authentication_(required|failed)$/,
      );
    });

    it('a bad key: 401 authentication_failed', async () => {
      const r = await putTo({ Authorization: basic(randomUUID()) });
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ value: 'authentication_failed' });
    });

    it('PUT and POST with a key: 201', async () => {
      const r1 = await putTo({ Authorization: basic(k) });
      expect(r1.status).toBe(201);
      expect(((await r1.json()) as { can_edit: boolean }).can_edit).toBe(true);
      const r2 = await postTo({ Authorization: basic(k) });
      expect(r2.status).toBe(201);
      expect(await r2.text()).toMatch(/^\{"success":true,"id":"[A-Za-z0-9]{8}"\}$/);
    });

    it('anonymous=true with a valid key is allowed and the file is not linked', async () => {
      const f = new FormData();
      f.append('anonymous', 'true');
      f.append('file', new Blob(['z']), 'z.txt');
      const r = await fetch(`${closed.url}/api/file`, {
        method: 'POST',
        body: f,
        headers: { Authorization: basic(k) },
      });
      expect(r.status).toBe(201);
      const body = (await r.json()) as { id: string; deleteKey?: string };
      expect(body.deleteKey).toMatch(UUID);
      const i = await fetch(`${closed.url}/api/file/${body.id}/info`, {
        headers: { Authorization: basic(k) },
      });
      expect(((await i.json()) as { can_edit: boolean }).can_edit).toBe(false);
    });
  });
});
