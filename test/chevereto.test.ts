import fs from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import {
  basic,
  blobFiles,
  createUserWithKey,
  startServer,
  tempDir,
  type TestServer,
} from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function png(width: number, height: number, color = '#3366cc'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
}

function form(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams(fields);
}

async function post(base: string, body: BodyInit, init: RequestInit = {}, path = '/api/1/upload') {
  const r = await fetch(base + path, { method: 'POST', body, redirect: 'manual', ...init });
  const text = await r.text();
  let json: Json | null;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = null;
  }
  return { r, text, json };
}

function chvError(message: string, code: number): string {
  return JSON.stringify({
    status_code: 400,
    error: { message, code },
    status_txt: 'Bad Request',
  });
}

let s: TestServer;
let key: string;
let otherKey: string;
let image: Buffer;

beforeAll(async () => {
  s = await startServer({ cheveretoGuestKey: 'guest-key-for-tools-0123' });
  key = await createUserWithKey(s, 'alice');
  otherKey = await createUserWithKey(s, 'bob');
  image = await png(800, 600);
});

afterAll(async () => {
  await s?.close();
});

describe('Chevereto /api/1/upload: errors, in Chevereto’s order', () => {
  const b64 = () => image.toString('base64');

  it('no key: No key provided (100), HTTP 400, Chevereto’s envelope, not cached', async () => {
    const { r, text } = await post(s.url, form({ source: b64() }));
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('cache-control')).toBe('no-cache, must-revalidate');
    expect(text).toBe(chvError('No key provided', 100));
  });

  it('other versions: 110; other actions: 120 (after the key check)', async () => {
    let res = await post(s.url, form({ source: b64(), key }), {}, '/api/2/upload');
    expect(res.text).toBe(chvError('Invalid API version.', 110));
    res = await post(s.url, form({ source: b64(), key }), {}, '/api/1/delete');
    expect(res.text).toBe(chvError('Invalid API action', 120));
    res = await post(s.url, form({ source: b64() }), {}, '/api/7/upload/');
    expect(res.text).toBe(chvError('No key provided', 100));
  });

  it('a wrong key: Invalid API key. (100); the header wins over the parameter', async () => {
    let res = await post(s.url, form({ source: b64(), key: 'nope' }));
    expect(res.text).toBe(chvError('Invalid API key.', 100));
    res = await post(s.url, form({ source: b64(), key }), { headers: { 'X-API-Key': 'bad' } });
    expect(res.text).toBe(chvError('Invalid API key.', 100));
    res = await post(s.url, form({ source: b64(), key: 'bad' }), { headers: { 'X-API-Key': key } });
    expect(res.r.status).toBe(200);
  });

  it('no source: Empty upload source (130); empty base64: Empty source (130)', async () => {
    let res = await post(s.url, form({ key }));
    expect(res.text).toBe(chvError('Empty upload source', 130));
    res = await post(s.url, form({ key, source: '' }));
    expect(res.text).toBe(chvError('Empty source', 130));
  });

  it('base64 over GET: 130; invalid or non-canonical base64: 120', async () => {
    const r = await fetch(`${s.url}/api/1/upload?key=${key}&source=${encodeURIComponent(b64())}`);
    expect(await r.text()).toBe(
      chvError('Upload using base64 source must be done using POST method.', 130),
    );
    for (const bad of ['abc$', 'QR==', 'QUJD=', 'Q===', 'QUJDRA']) {
      const res = await post(s.url, form({ key, source: bad }));
      expect(res.text, bad).toBe(chvError('Invalid base64 string', 120));
    }
  });

  it('URL sources while URL uploads are off: 403', async () => {
    const res = await post(s.url, form({ key, source: 'http://example.com/a.png' }));
    expect(res.text).toBe(chvError('URL uploading is disabled', 403));
  });

  it('not an image or video: Invalid mimetype (612), nothing stored', async () => {
    const before = (await blobFiles(s.dataDir)).length;
    const fd = new FormData();
    fd.append('key', key);
    fd.append('source', new Blob(['just text, not a picture '.repeat(2000)]), 'notes.txt');
    const res = await post(s.url, fd);
    expect(res.text).toBe(chvError('Invalid mimetype', 612));
    expect((await blobFiles(s.dataDir)).length).toBe(before);
  });

  it('an invalid expiration: 400 with a clear message (upstream would use 5 minutes)', async () => {
    const res = await post(s.url, form({ key, source: b64(), expiration: 'tomorrow' }));
    expect(res.r.status).toBe(400);
    expect(res.json!.error).toEqual({
      message: 'Invalid expiration: give seconds or an ISO 8601 duration such as PT5M, P1D or P1Y',
      code: 120,
    });
  });

  it('format=txt and format=redirect: errors are the bare message with HTTP 200', async () => {
    for (const format of ['txt', 'redirect']) {
      const res = await post(s.url, form({ key: 'bad', source: b64(), format }));
      expect(res.r.status).toBe(200);
      expect(res.r.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.text).toBe('Invalid API key.');
    }
  });

  it('the size limit: File too big (400), while streaming', async () => {
    const small = await startServer({ maxFileSize: 2000 });
    try {
      const k = await createUserWithKey(small, 'carol');
      const big = await png(400, 400, '#123456');
      const noisy = Buffer.concat([big, Buffer.alloc(5000, 7)]);
      let res = await post(small.url, form({ key: k, source: noisy.toString('base64') }));
      expect(res.text).toBe(chvError('File too big - max 2 KB', 400));
      const fd = new FormData();
      fd.append('key', k);
      fd.append('source', new Blob([new Uint8Array(noisy)]), 'big.png');
      res = await post(small.url, fd, { signal: AbortSignal.timeout(10_000) });
      expect(res.text).toBe(chvError('File too big - max 2 KB', 400));
      // The file part before the key: held on disk until the key is known, cut off at the limit.
      const late = new FormData();
      late.append('source', new Blob([new Uint8Array(noisy)]), 'big.png');
      late.append('key', k);
      res = await post(small.url, late, { signal: AbortSignal.timeout(10_000) });
      expect(res.text).toBe(chvError('File too big - max 2 KB', 400));
    } finally {
      await small.close();
    }
  });

  it('the guest key uploads anonymously, unless anonymous uploads are off: Request denied (401)', async () => {
    let res = await post(s.url, form({ key: 'guest-key-for-tools-0123', source: b64() }));
    expect(res.r.status).toBe(200);
    expect(res.json!.image.delete_url).toMatch(/\/image\/\w+\/delete\//);
    const closed = await startServer({
      allowAnonymousUploads: false,
      cheveretoGuestKey: 'guest-key-for-tools-0123',
    });
    try {
      res = await post(closed.url, form({ key: 'guest-key-for-tools-0123', source: b64() }));
      expect(res.text).toBe(chvError('Request denied', 401));
    } finally {
      await closed.close();
    }
  });
});

describe('Chevereto /api/1/upload: success', () => {
  it('base64 (urlencoded): the V4 envelope and the fields clients read', async () => {
    const { r, json } = await post(s.url, form({ source: image.toString('base64'), key }));
    expect(r.status).toBe(200);
    expect(Object.keys(json!)).toEqual(['status_code', 'success', 'image', 'status_txt']);
    expect(json!.success).toEqual({ message: 'file uploaded', code: 200 });
    const img = json!.image as Json;
    for (const k of [
      'name',
      'extension',
      'size',
      'width',
      'height',
      'date',
      'date_gmt',
      'title',
      'description',
      'nsfw',
      'md5',
      'original_filename',
      'expiration_date_gmt',
      'type',
      'is_animated',
      'duration',
      'id_encoded',
      'filename',
      'mime',
      'url',
      'url_viewer',
      'url_short',
      'path_viewer',
      'image',
      'thumb',
      'medium',
      'display_url',
      'display_width',
      'display_height',
      'size_formatted',
      'delete_url',
    ]) {
      expect(img, k).toHaveProperty(k);
    }
    expect(img).toMatchObject({
      extension: 'png',
      size: image.length,
      width: 800,
      height: 600,
      type: 'image',
      mime: 'image/png',
      nsfw: 0,
      is_animated: 0,
      expiration_date_gmt: null,
      md5: (await import('node:crypto')).createHash('md5').update(image).digest('hex'),
    });
    expect(img.date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // image.url (and image.image.url) end in the extension, as Chevereto's do.
    expect(img.url).toBe(`${s.url}/i/${img.id_encoded}.png`);
    expect(img.image.url).toBe(img.url);
    const raw = await fetch(img.url as string);
    expect(raw.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await raw.arrayBuffer()).equals(image)).toBe(true);
    expect(img.medium).toMatchObject({ width: 500, height: 375, mime: 'image/jpeg' });
    expect(img.display_url).toBe(img.medium.url);
  });

  it('a ShareX-style multipart request (source part, key, format=json): url, thumb, viewer, delete', async () => {
    const fd = new FormData();
    fd.append('key', key);
    fd.append('format', 'json');
    fd.append(
      'source',
      new Blob([new Uint8Array(image)], { type: 'image/png' }),
      'Screenshot_2025-01-02.png',
    );
    const { r, json } = await post(s.url, fd);
    expect(r.status).toBe(200);
    const img = json!.image as Json;
    expect(img.original_filename).toBe('Screenshot_2025-01-02.png');
    expect(img.title).toBe('Screenshot 2025 01 02');
    // image.thumb.url: a JPEG square, cached with an ETag.
    const th = await fetch(img.thumb.url as string);
    expect(th.status).toBe(200);
    expect(th.headers.get('content-type')).toBe('image/jpeg');
    expect(th.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const meta = await sharp(Buffer.from(await th.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([160, 160]);
    const again = await fetch(img.thumb.url as string, {
      headers: { 'If-None-Match': th.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${s.url}/image/${img.id_encoded}/nope.jpg`)).status).toBe(404);
    // image.url_viewer: the viewer page.
    const page = await fetch(img.url_viewer as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`/api/file/${img.id_encoded}`);
    // image.delete_url: GET deletes at once and redirects to the viewer with a notice.
    expect((await fetch(`${s.url}/image/${img.id_encoded}/delete/wrong`)).status).toBe(404);
    const del = await fetch(img.delete_url as string, { redirect: 'manual' });
    expect(del.status).toBe(302);
    expect(del.headers.get('location')).toBe(`${s.url}/image/${img.id_encoded}?deleted`);
    expect((await fetch(img.url as string)).status).toBe(404);
    const notice = await fetch(del.headers.get('location')!);
    expect(await notice.text()).toContain('The file has been deleted.');
    expect((await fetch(img.delete_url as string, { redirect: 'manual' })).status).toBe(404);
  });

  it('a file part sent before the key (spooled) and a file part named image (imgBB shape)', async () => {
    const fd = new FormData();
    fd.append('image', new Blob([new Uint8Array(image)]), 'first.png');
    fd.append('key', key);
    const { r, json } = await post(s.url, fd);
    expect(r.status).toBe(200);
    expect(json!.status).toBe(200);
    expect(json!.data.id).toBe(json!.data.id_encoded);
    expect(json!.data.filename).toBe('first.png');
  });

  it('the image parameter (base64, data: URI prefix): imgBB-shaped reply', async () => {
    const { json } = await post(
      s.url,
      form({ key, image: `data:image/png;base64,${image.toString('base64')}` }),
    );
    expect(Object.keys(json!)).toEqual(['status_code', 'status', 'success', 'data', 'status_txt']);
    expect(json!.data.size).toBe(image.length);
  });

  it('format=txt: the direct URL as text/plain; format=redirect: 302 to the viewer', async () => {
    let res = await post(s.url, form({ key, source: image.toString('base64'), format: 'txt' }));
    expect(res.r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(new RegExp(`^${s.url}/i/\\w+\\.png$`));
    res = await post(s.url, form({ key, source: image.toString('base64'), format: 'redirect' }));
    expect(res.r.status).toBe(302);
    expect(res.r.headers.get('location')).toMatch(new RegExp(`^${s.url}/image/\\w+$`));
  });

  it('options: title/name, description, tags, category_id, nsfw, album_id', async () => {
    const auth = { Authorization: basic(key) };
    const first = await fetch(`${s.url}/api/file/a.txt`, {
      method: 'PUT',
      body: 'a',
      headers: auth,
    });
    const firstId = ((await first.json()) as Json).id as string;
    const list = await fetch(`${s.url}/api/list`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ title: 'Album', files: [{ id: firstId }] }),
    });
    const listId = ((await list.json()) as Json).id as string;
    const { json } = await post(
      s.url,
      form({
        key,
        source: image.toString('base64'),
        name: 'x'.repeat(150),
        description: 'A blue rectangle',
        tags: ' sky , blue,, sky ,Blue',
        category_id: '7',
        nsfw: '1',
        album_id: listId,
      }),
    );
    const img = json!.image as Json;
    expect(img.title).toBe('x'.repeat(100));
    expect(img.description).toBe('A blue rectangle');
    expect(img.tags_string).toBe('sky, blue');
    expect(img.category_id).toBe('7');
    expect(img.nsfw).toBe(1);
    const entries = (await (await fetch(`${s.url}/api/list/${listId}`)).json()) as Json;
    expect(entries.files.map((f: Json) => f.id)).toEqual([firstId, img.id_encoded]);
    // Someone else's album is ignored (as upstream): the upload still succeeds.
    const other = await post(
      s.url,
      form({ key: otherKey, source: image.toString('base64'), album_id: listId }),
    );
    expect(other.r.status).toBe(200);
    const after = (await (await fetch(`${s.url}/api/list/${listId}`)).json()) as Json;
    expect(after.files).toHaveLength(2);
    // The owner can still delete it through the pixeldrain API.
    const del = await fetch(`${s.url}/api/file/${img.id_encoded}`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(del.status).toBe(200);
  });

  it('width: the stored file is the resized one (ratio kept, format kept); narrower: untouched', async () => {
    const jpeg = await sharp({
      create: { width: 1000, height: 500, channels: 3, background: '#0a0' },
    })
      .jpeg()
      .toBuffer();
    let { json } = await post(s.url, form({ key, source: jpeg.toString('base64'), width: '300' }));
    let img = json!.image as Json;
    expect([img.width, img.height, img.mime]).toEqual([300, 150, 'image/jpeg']);
    expect(img.url).toMatch(/\/i\/\w+\.jpg$/);
    const stored = Buffer.from(await (await fetch(img.url as string)).arrayBuffer());
    const meta = await sharp(stored).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([300, 150, 'jpeg']);
    ({ json } = await post(s.url, form({ key, source: jpeg.toString('base64'), width: '2000' })));
    img = json!.image as Json;
    expect([img.width, img.size]).toEqual([1000, jpeg.length]);
  });

  it('expiration: seconds or ISO 8601, clamped to 5 minutes … 1 year', async () => {
    const cases: [string, number][] = [
      ['10', 300],
      ['3600', 3600],
      ['PT15M', 900],
      ['P1D', 86400],
      ['P2Y', 31_536_000],
    ];
    for (const [expiration, seconds] of cases) {
      const { json } = await post(
        s.url,
        form({ key, source: image.toString('base64'), expiration }),
      );
      const img = json!.image as Json;
      const created = Date.parse(`${img.date_gmt as string}Z`);
      const expires = Date.parse(`${img.expiration_date_gmt as string}Z`);
      expect((expires - created) / 1000, expiration).toBe(seconds);
    }
  });

  it('any file with STOWAGE_CHEVERETO_ANY_FILE', async () => {
    const any = await startServer({ cheveretoAnyFile: true });
    try {
      const k = await createUserWithKey(any, 'dave');
      const fd = new FormData();
      fd.append('key', k);
      fd.append('source', new Blob(['plain text']), 'notes.txt');
      const { json } = await post(any.url, fd);
      expect(json!.image).toMatchObject({ type: 'file', filename: 'notes.txt', width: 0 });
      expect(json!.image.thumb.url).toBeNull();
    } finally {
      await any.close();
    }
  });
});

describe('routing next to the other dialects', () => {
  it('pixeldrain and FileBin paths are not captured', async () => {
    let r = await fetch(`${s.url}/api/file/abcdefgh`, { method: 'POST' });
    expect(await r.text()).not.toContain('status_code');
    r = await fetch(`${s.url}/api/abc/upload`, { method: 'POST' });
    expect(((await r.json()) as Json).value).toBe('invalid_endpoint');
    r = await fetch(`${s.url}/api/v2.2.0/file/upload`, { method: 'POST' });
    expect(await r.text()).not.toContain('"status_txt"');
    r = await fetch(`${s.url}/api/user`);
    expect(((await r.json()) as Json).success).toBe(false);
  });
});

describe('expiry at the boundary (injected clock)', () => {
  let app: App;
  let base: string;
  let dir: string;
  let now = Date.UTC(2030, 0, 1);
  /** How far the clock moves on every reading (0: it stands still). */
  let tick = 0;

  beforeAll(async () => {
    dir = await tempDir();
    const config = loadConfig(
      { host: '127.0.0.1', port: 0, dataDir: dir, logLevel: 'silent', expirySweepMs: 0 },
      {},
    );
    app = await buildApp(config, { now: () => (now += tick) });
    base = await app.listen();
  });

  afterAll(async () => {
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is served until its expiry time, not at it; the sweep deletes it and its blob', async () => {
    const { accounts } = app.runtime.core;
    await accounts.createUser('erin', null, false);
    const { key: k } = await accounts.createKey('erin', 'test', '127.0.0.1');
    const big = await sharp({
      create: {
        width: 300,
        height: 300,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    })
      .png()
      .toBuffer();
    const { json } = await post(
      base,
      form({ key: k, source: big.toString('base64'), expiration: '300' }),
    );
    const img = json!.image as Json;
    expect(img.expiration_date_gmt).toBe('2030-01-01 00:05:00');
    const blobsBefore = (await blobFiles(dir)).length;
    now += 300_000 - 1;
    expect((await fetch(img.url as string)).status).toBe(200);
    expect((await fetch(img.thumb.url as string)).status).toBe(200);
    now += 1;
    expect((await fetch(img.url as string)).status).toBe(404);
    expect((await fetch(img.url_viewer as string)).status).toBe(404);
    expect((await fetch(img.thumb.url as string)).status).toBe(404);
    expect(await app.runtime.core.expiry.runOnce()).toBe(1);
    expect(await app.runtime.core.expiry.runOnce()).toBe(0);
    await app.runtime.core.media.idle();
    expect((await blobFiles(dir)).length).toBeLessThan(blobsBefore);
    const row = await app.runtime.db
      .selectFrom('files')
      .select('id')
      .where('id', '=', img.id_encoded as string)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('an expiration counts from the file’s creation, not from when the request began', async () => {
    const { accounts } = app.runtime.core;
    await accounts.createUser('frank', null, false);
    const { key: k } = await accounts.createKey('frank', 'test', '127.0.0.1');
    // Time passes while the upload is handled (a slow body): every reading of the clock is a
    // second later than the one before.
    tick = 1000;
    let json;
    try {
      ({ json } = await post(
        base,
        form({ key: k, source: image.toString('base64'), expiration: 'PT10M' }),
      ));
    } finally {
      tick = 0;
    }
    const img = json!.image as Json;
    const created = Date.parse(`${img.date_gmt as string}Z`);
    const expires = Date.parse(`${img.expiration_date_gmt as string}Z`);
    expect(expires - created).toBe(600_000);
  });

  it('one sweeper at a time: the lease in the database', async () => {
    const { KyselyLockRepository } = await import('../src/storage/lock-repository.js');
    const locks = new KyselyLockRepository(app.runtime.db);
    expect(await locks.tryAcquire('t', 'a', 1000, 0)).toBe(true);
    expect(await locks.tryAcquire('t', 'b', 1000, 500)).toBe(false);
    expect(await locks.tryAcquire('t', 'a', 1000, 600)).toBe(true);
    expect(await locks.tryAcquire('t', 'b', 1000, 1600)).toBe(true);
    await locks.release('t', 'b');
    expect(await locks.tryAcquire('t', 'a', 1000, 1700)).toBe(true);
  });
});
