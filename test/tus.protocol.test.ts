import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';

const TUS = { 'Tus-Resumable': '1.0.0' };
const meta = (pairs: Record<string, string>) =>
  Object.entries(pairs)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

describe.skipIf(ON_SCALE_OUT)('tus protocol (embedded stack)', () => {
  let server: TestServer;
  let key: string;
  let auth: { Authorization: string };

  beforeAll(async () => {
    server = await startServer({ maxFileSize: 10 * 1024 * 1024 });
    key = await createUserWithKey(server, 'alice');
    auth = { Authorization: basic(key) };
  });
  afterAll(async () => {
    await server?.close();
  });

  async function create(length: number, name = 'a.bin', headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}/api/tus`, {
      method: 'POST',
      headers: {
        ...TUS,
        ...auth,
        'Upload-Length': String(length),
        'Upload-Metadata': meta({ filename: name, filetype: 'application/octet-stream' }),
        ...headers,
      },
    });
    return res;
  }

  it('OPTIONS declares the version, extensions and max size', async () => {
    const res = await fetch(`${server.url}/api/tus`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-extension')?.split(',').sort()).toEqual(
      ['creation', 'creation-with-upload', 'expiration', 'termination'].sort(),
    );
    expect(res.headers.get('tus-max-size')).toBe(String(10 * 1024 * 1024));
  });

  it('creates, reports the offset, takes PATCHes and publishes the file', async () => {
    const data = randomBytes(300_000);
    const created = await create(data.length);
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect(location).toMatch(/^\/api\/tus\/[0-9a-f]{32}$/);
    expect(new Date(created.headers.get('upload-expires')!).getTime()).toBeGreaterThan(Date.now());
    const url = server.url + location;

    let head = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
    expect(head.headers.get('upload-length')).toBe(String(data.length));

    const first = await fetch(url, {
      method: 'PATCH',
      headers: {
        ...TUS,
        ...auth,
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': '0',
      },
      body: data.subarray(0, 100_000),
    });
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('100000');
    expect(first.headers.get('upload-expires')).toBeTruthy();
    head = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth } });
    expect(head.headers.get('upload-offset')).toBe('100000');

    const last = await fetch(url, {
      method: 'PATCH',
      headers: {
        ...TUS,
        ...auth,
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': '100000',
      },
      body: data.subarray(100_000),
    });
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(data.length));
    const fileId = last.headers.get('stowage-file-id');
    expect(fileId).toBeTruthy();
    expect(last.headers.get('stowage-delete-key')).toBeNull();
    expect(last.headers.get('access-control-expose-headers')).toMatch(/Stowage-File-Id/);

    const file = await fetch(`${server.url}/api/file/${fileId}`);
    const body = Buffer.from(await file.arrayBuffer());
    expect(body.equals(data)).toBe(true);
    const info = (await (await fetch(`${server.url}/api/file/${fileId}/info`)).json()) as {
      name: string;
      hash_sha256: string;
    };
    expect(info.name).toBe('a.bin');
    expect(info.hash_sha256).toBe(createHash('sha256').update(data).digest('hex'));

    const status = await fetch(url, { headers: auth });
    expect(await status.json()).toEqual({
      id: location.split('/').pop(),
      offset: data.length,
      length: data.length,
      file_id: fileId,
      file_url: `/api/file/${fileId}`,
    });
    // The bytes were moved, not copied: nothing is left in the tus folder.
    const left = await fs.readdir(path.join(server.dataDir, 'staging', 'tus'));
    expect(left).toEqual([]);
  });
});
