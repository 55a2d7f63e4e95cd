import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startServer, type TestServer } from './helpers.js';
import { request } from './rules-helpers.js';

/** Chevereto's `image.url` ends in the file's extension: `/i/{id}.{ext}`, the download's bytes. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Upload one file through /api/1/upload (multipart `source`, or base64 when no name). */
async function upload(
  base: string,
  key: string,
  body: Buffer,
  filename?: string,
  extra: Record<string, string> = {},
): Promise<Json> {
  let payload: BodyInit;
  if (filename === undefined) {
    payload = new URLSearchParams({ key, source: body.toString('base64'), ...extra });
  } else {
    const fd = new FormData();
    fd.append('key', key);
    for (const [k, v] of Object.entries(extra)) fd.append(k, v);
    fd.append('source', new Blob([new Uint8Array(body)]), filename);
    payload = fd;
  }
  const r = await fetch(`${base}/api/1/upload`, { method: 'POST', body: payload });
  expect(r.status).toBe(200);
  return (await r.json()) as Json;
}

/** The headers the download endpoint sets for the file itself (not per response). */
const FILE_HEADERS = [
  'content-type',
  'content-disposition',
  'etag',
  'last-modified',
  'accept-ranges',
  'x-content-type-options',
  'cross-origin-resource-policy',
  'content-security-policy',
  'content-length',
];

describe('Chevereto image.url: /i/{id}.{ext}', () => {
  let s: TestServer;
  let key: string;
  let image: Buffer;

  beforeAll(async () => {
    s = await startServer({ cheveretoAnyFile: true });
    key = await createUserWithKey(s, 'alice');
    image = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#36c' } })
      .png()
      .toBuffer();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a PNG: url, image.url and the extension agree; GET, HEAD, ranges, 304 and ?download as /api/file/{id}', async () => {
    const { image: img } = await upload(s.url, key, image);
    const id = img.id_encoded as string;
    expect(img.extension).toBe('png');
    expect(img.url).toBe(`${s.url}/i/${id}.png`);
    expect(img.image).toMatchObject({ extension: 'png', url: img.url });
    // The companions already end in theirs.
    expect(img.thumb.url).toMatch(/\/thumb\.jpg$/);
    expect(img.medium.url).toMatch(/\/medium\.jpg$/);

    const ours = await fetch(img.url as string);
    const theirs = await fetch(`${s.url}/api/file/${id}`);
    expect(ours.status).toBe(200);
    expect(Buffer.from(await ours.arrayBuffer()).equals(image)).toBe(true);
    expect(Buffer.from(await theirs.arrayBuffer()).equals(image)).toBe(true);
    for (const h of FILE_HEADERS) expect(ours.headers.get(h), h).toBe(theirs.headers.get(h));
    expect(ours.headers.get('content-type')).toBe('image/png');
    expect(ours.headers.get('x-content-type-options')).toBe('nosniff');

    const head = await fetch(img.url as string, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(image.length));
    const part = await fetch(img.url as string, { headers: { Range: 'bytes=0-7' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-7/${image.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(PNG_SIGNATURE)).toBe(true);
    const past = await fetch(img.url as string, { headers: { Range: `bytes=${image.length}-` } });
    expect(past.status).toBe(416);
    const cached = await fetch(img.url as string, {
      headers: { 'If-None-Match': ours.headers.get('etag')! },
    });
    expect(cached.status).toBe(304);
    const attached = await fetch(`${img.url as string}?download`);
    expect(attached.headers.get('content-disposition')).toMatch(
      /^attachment; filename="image\.png"/,
    );
    await attached.arrayBuffer();
  });

  it('only the file’s own extension is served: another one, none, or an unknown id is 404 not_found', async () => {
    const { image: img } = await upload(s.url, key, image);
    const id = img.id_encoded as string;
    for (const path of [
      `/i/${id}.jpg`,
      `/i/${id}.html`,
      `/i/${id}.svg`,
      `/i/${id}.PNG`,
      `/i/${id}.png.html`,
      `/i/${id}`,
      `/i/${id}.`,
      `/i/zzzzzzzz.png`,
    ]) {
      const r = await fetch(s.url + path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(((await r.json()) as Json).value, path).toBe('not_found');
    }
  });

  it('the extension is the name’s own (lowercased) when safe, else the detected type’s, else bin', async () => {
    const cases: Array<[string, Buffer, string, RegExp]> = [
      ['Holiday.PNG', image, 'png', /^image\/png$/],
      ['notes', Buffer.from('plain words\n'), 'txt', /^text\/plain; charset=utf-8$/],
      ['odd.ex-t', Buffer.from('plain words\n'), 'txt', /^text\/plain; charset=utf-8$/],
      ['blob', randomBytes(64), 'bin', /^application\/octet-stream$/],
      ['archive.tar', randomBytes(64), 'tar', /^application\/x-tar$/],
    ];
    for (const [name, body, ext, type] of cases) {
      const { image: img } = await upload(s.url, key, body, name);
      expect(img.filename, name).toBe(name);
      expect(img.extension, name).toBe(ext);
      expect(img.url, name).toBe(`${s.url}/i/${img.id_encoded as string}.${ext}`);
      const r = await fetch(img.url as string);
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type'), name).toMatch(type);
      expect(Buffer.from(await r.arrayBuffer()).equals(body), name).toBe(true);
    }
  });

  it('the URL’s extension never changes the Content-Type: a PNG named .html is served as image/png', async () => {
    const { image: img } = await upload(s.url, key, image, 'trick.html');
    expect(img.url).toMatch(/\.html$/);
    const r = await fetch(img.url as string);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    await r.arrayBuffer();
  });

  it('active content keeps the download’s sandbox: an HTML file at /i/{id}.html', async () => {
    const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
    const { image: img } = await upload(s.url, key, html, 'page.html');
    expect(img.url).toMatch(/\.html$/);
    const r = await fetch(img.url as string);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    await r.arrayBuffer();
  });

  it('a download through /i/ is counted as one of the file (downloads, bandwidth)', async () => {
    const { image: img } = await upload(s.url, key, image);
    const r = await fetch(img.url as string);
    expect((await r.arrayBuffer()).byteLength).toBe(image.length);
    await s.app.runtime.core.traffic.flush();
    const info = (await (
      await fetch(`${s.url}/api/file/${img.id_encoded as string}/info`)
    ).json()) as Json;
    expect(info.downloads).toBe(1);
    expect(info.bandwidth_used).toBe(image.length);
  });

  it('success stays Chevereto’s object in both shapes (Chevereto’s, not imgBB’s `true`)', async () => {
    const chv = await upload(s.url, key, image);
    expect(chv.success).toEqual({ message: 'file uploaded', code: 200 });
    const fd = new FormData();
    fd.append('key', key);
    fd.append('image', new Blob([new Uint8Array(image)]), 'y.png');
    const r = (await (
      await fetch(`${s.url}/api/1/upload`, { method: 'POST', body: fd })
    ).json()) as Json;
    expect(r.status).toBe(200);
    expect(r.success).toEqual({ message: 'file uploaded', code: 200 });
    expect(r.data.url).toBe(`${s.url}/i/${r.data.id as string}.png`);
  });
});

describe('Chevereto image.url under the download rules', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ captcha: false, hotlinkMinDownloads: 2 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('the hotlink rule refuses /i/{id}.{ext} as it refuses /api/file/{id}', async () => {
    const key = await createUserWithKey(s, 'bob');
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const { image: img } = await upload(s.url, key, png);
    for (const from of ['127.0.0.2', '127.0.0.3'])
      expect((await request(img.url as string, { from })).status).toBe(200);
    await s.app.runtime.core.traffic.flush();
    for (const url of [img.url as string, `${s.url}/api/file/${img.id_encoded as string}`]) {
      const refused = await request(url, { from: '127.0.0.4' });
      expect(refused.status, url).toBe(403);
      expect(refused.json().value, url).toBe('hotlink_detected');
    }
  });
});
