import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, storedLocations, type TestServer } from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';
import { startTusServer, TUS, tusMetadata } from './tus-helpers.js';

const MAX = 10 * 1024 * 1024;
const OFFSET_STREAM = { 'Content-Type': 'application/offset+octet-stream' };

/** tus 1.0 conformance of /api/tus for the extensions it declares, over real HTTP. */
describe.skipIf(ON_SCALE_OUT)('tus protocol', () => {
  let server: TestServer;
  let auth: { Authorization: string };

  beforeAll(async () => {
    server = await startTusServer({ maxFileSize: MAX });
    auth = { Authorization: basic(await createUserWithKey(server, 'alice')) };
  });
  afterAll(async () => {
    await server?.close();
  });

  const create = (length: number, headers: Record<string, string> = {}, body?: Buffer) =>
    fetch(`${server.url}/api/tus`, {
      method: 'POST',
      headers: {
        ...TUS,
        ...auth,
        'Upload-Length': String(length),
        'Upload-Metadata': tusMetadata({ filename: 'a.bin', filetype: 'application/x-test' }),
        ...headers,
      },
      ...(body ? { body: new Uint8Array(body) } : {}),
    });

  const patch = (url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, ...auth, ...OFFSET_STREAM, 'Upload-Offset': String(offset), ...headers },
      body: new Uint8Array(body),
    });

  const head = (url: string) => fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth } });

  it('OPTIONS declares the version, the extensions and the max size', async () => {
    const res = await fetch(`${server.url}/api/tus`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-extension')?.split(',').sort()).toEqual([
      'creation',
      'creation-with-upload',
      'expiration',
      'termination',
    ]);
    expect(res.headers.get('tus-max-size')).toBe(String(MAX));
  });

  it('creates, reports the offset, takes PATCHes and publishes the file', async () => {
    const data = randomBytes(300_000);
    const created = await create(data.length);
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect(location).toMatch(/^\/api\/tus\/[0-9a-f]{32}$/);
    expect(new Date(created.headers.get('upload-expires')!).getTime()).toBeGreaterThan(Date.now());
    const url = server.url + location;

    let h = await head(url);
    expect(h.status).toBe(200);
    expect(h.headers.get('upload-offset')).toBe('0');
    expect(h.headers.get('upload-length')).toBe(String(data.length));
    expect(h.headers.get('cache-control')).toBe('no-store');

    const first = await patch(url, 0, data.subarray(0, 100_000));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('100000');
    expect(first.headers.get('upload-expires')).toBeTruthy();
    h = await head(url);
    expect(h.headers.get('upload-offset')).toBe('100000');

    const last = await patch(url, 100_000, data.subarray(100_000));
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(data.length));
    const fileId = last.headers.get('stowage-file-id');
    expect(fileId).toMatch(/^[A-Za-z0-9]+$/);
    expect(last.headers.get('stowage-delete-key')).toBeNull();
    expect(last.headers.get('upload-expires')).toBeNull();
    expect(last.headers.get('access-control-expose-headers')).toMatch(/Stowage-File-Id/);

    const file = await fetch(`${server.url}/api/file/${fileId}`);
    expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true);
    const info = (await (await fetch(`${server.url}/api/file/${fileId}/info`)).json()) as {
      name: string;
      hash_sha256: string;
    };
    expect(info.name).toBe('a.bin');
    expect(info.hash_sha256).toBe(createHash('sha256').update(data).digest('hex'));

    expect(await (await fetch(url, { headers: auth })).json()).toEqual({
      id: location.split('/').pop(),
      offset: data.length,
      length: data.length,
      file_id: fileId,
      file_url: `/api/file/${fileId}`,
    });
    // HEAD of a finished upload: complete, and which file it became.
    h = await head(url);
    expect(h.status).toBe(200);
    expect(h.headers.get('upload-offset')).toBe(String(data.length));
    expect(h.headers.get('stowage-file-id')).toBe(fileId);
    // The last PATCH sent again (its answer was lost): the same file.
    const again = await patch(url, data.length, Buffer.alloc(0));
    expect(again.status).toBe(204);
    expect(again.headers.get('stowage-file-id')).toBe(fileId);
    // The bytes were moved into the blob store, not copied: the upload left nothing behind.
    expect(await server.app.runtime.blobs.pendingUploads()).toBe(0);
  });

  it('creation-with-upload: the POST body is the first bytes (here all of them)', async () => {
    const data = randomBytes(50_000);
    const res = await create(data.length, OFFSET_STREAM, data);
    expect(res.status).toBe(201);
    expect(res.headers.get('upload-offset')).toBe(String(data.length));
    const fileId = res.headers.get('stowage-file-id')!;
    const file = await fetch(`${server.url}/api/file/${fileId}`);
    expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true);

    const part = await create(data.length, OFFSET_STREAM, data.subarray(0, 1000));
    expect(part.status).toBe(201);
    expect(part.headers.get('upload-offset')).toBe('1000');
    expect(part.headers.get('stowage-file-id')).toBeNull();
  });

  it('small uploads are kept inline, empty ones too', async () => {
    const small = randomBytes(100);
    const res = await create(small.length, OFFSET_STREAM, small);
    const id = res.headers.get('stowage-file-id')!;
    expect(Buffer.from(await (await fetch(`${server.url}/api/file/${id}`)).arrayBuffer())).toEqual(
      small,
    );
    const empty = await create(0);
    expect(empty.status).toBe(201);
    expect(empty.headers.get('stowage-file-id')).toBeTruthy();
  });

  it('a PATCH at the wrong offset is 409 and changes nothing', async () => {
    const url = server.url + (await create(1000)).headers.get('location')!;
    expect((await patch(url, 0, randomBytes(100))).status).toBe(204);
    const wrong = await patch(url, 50, randomBytes(100));
    expect(wrong.status).toBe(409);
    expect((await head(url)).headers.get('upload-offset')).toBe('100');
  });

  it('a PATCH of another Content-Type is 415; one without Tus-Resumable is 412', async () => {
    const url = server.url + (await create(1000)).headers.get('location')!;
    const res = await patch(url, 0, randomBytes(100), {
      'Content-Type': 'application/octet-stream',
    });
    expect(res.status).toBe(415);
    const noVersion = await fetch(url, {
      method: 'PATCH',
      headers: { ...auth, ...OFFSET_STREAM, 'Upload-Offset': '0' },
      body: randomBytes(10),
    });
    expect(noVersion.status).toBe(412);
    expect((await head(url)).headers.get('upload-offset')).toBe('0');
  });

  it('more bytes than declared are refused', async () => {
    const url = server.url + (await create(100)).headers.get('location')!;
    const res = await patch(url, 0, randomBytes(200));
    expect(res.status).toBe(413);
    expect((await head(url)).headers.get('upload-offset')).toBe('0');
  });

  it('termination removes the upload and its bytes', async () => {
    const before = await storedLocations(server);
    const pending = await server.app.runtime.blobs.pendingUploads();
    const url = server.url + (await create(200_000)).headers.get('location')!;
    await patch(url, 0, randomBytes(100_000));
    expect(await server.app.runtime.blobs.pendingUploads()).toBe(pending! + 1);
    const del = await fetch(url, { method: 'DELETE', headers: { ...TUS, ...auth } });
    expect(del.status).toBe(204);
    expect(del.headers.get('tus-resumable')).toBe('1.0.0');
    expect((await head(url)).status).toBe(404);
    expect((await patch(url, 100_000, randomBytes(10))).status).toBe(404);
    expect(await server.app.runtime.blobs.pendingUploads()).toBe(pending);
    expect(await storedLocations(server)).toEqual(before);
    const rows = await server.app.runtime.db
      .selectFrom('tus_uploads')
      .select('id')
      .where('id', '=', url.split('/').pop()!)
      .execute();
    expect(rows).toEqual([]);
  });

  it('Upload-Length is required (no deferred length); over the max size is 413 in JSON', async () => {
    const deferred = await fetch(`${server.url}/api/tus`, {
      method: 'POST',
      headers: {
        ...TUS,
        ...auth,
        'Upload-Defer-Length': '1',
        'Upload-Metadata': tusMetadata({ filename: 'a' }),
      },
    });
    expect(deferred.status).toBeGreaterThanOrEqual(400);
    const big = await create(MAX + 1);
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toMatch(/application\/json/);
    expect(await big.json()).toMatchObject({ success: false, value: 'file_too_large' });
  });

  it('the filename is required and checked like PUT /api/file', async () => {
    const none = await create(10, { 'Upload-Metadata': tusMetadata({ filetype: 'text/plain' }) });
    expect(none.status).toBe(422);
    expect(await none.json()).toMatchObject({ success: false, value: 'string_out_of_range' });
    const long = await create(10, {
      'Upload-Metadata': tusMetadata({ filename: 'x'.repeat(300) }),
    });
    expect(long.status).toBe(422);
    const bad = await create(10, { 'Upload-Metadata': tusMetadata({ filename: 'a\u0000b' }) });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
  });

  it('unknown upload ids (and hostile ones) are 404', async () => {
    for (const id of ['0123456789abcdef0123456789abcdef', '..%2F..%2Fstowage.db', 'x']) {
      const res = await fetch(`${server.url}/api/tus/${id}`, {
        method: 'PATCH',
        headers: { ...TUS, ...auth, ...OFFSET_STREAM, 'Upload-Offset': '0' },
        body: Buffer.from('x'),
      });
      expect(res.status, id).toBe(404);
    }
  });
});
