import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, tusFiles, type TestServer } from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';
import { startTusServer, TUS, tusMetadata } from './tus-helpers.js';

const OFFSET_STREAM = { 'Content-Type': 'application/offset+octet-stream' };
const HOUR = 3_600_000;

async function create(
  server: TestServer,
  length: number,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}/api/tus`, {
    method: 'POST',
    headers: {
      ...TUS,
      'Upload-Length': String(length),
      'Upload-Metadata': tusMetadata({ filename: 'f.bin' }),
      ...headers,
    },
  });
}

function patch(url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, ...OFFSET_STREAM, 'Upload-Offset': String(offset), ...headers },
    body: new Uint8Array(body),
  });
}

describe.skipIf(ON_SCALE_OUT)('tus: credentials, owners and quotas', () => {
  let server: TestServer;
  let alice: { Authorization: string };
  let bob: { Authorization: string };

  beforeAll(async () => {
    server = await startTusServer({
      allowAnonymousUploads: true,
      userStorageQuota: 1_000_000,
      tusMaxPending: 3,
    });
    alice = { Authorization: basic(await createUserWithKey(server, 'alice')) };
    bob = { Authorization: basic(await createUserWithKey(server, 'bob')) };
  });
  afterAll(async () => {
    await server?.close();
  });

  it("an account's upload is invisible to others (404) and to anonymous callers", async () => {
    const url = server.url + (await create(server, 1000, alice)).headers.get('location')!;
    for (const who of [bob, {}]) {
      const head = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...who } });
      expect(head.status).toBe(404);
      expect((await patch(url, 0, randomBytes(10), who)).status).toBe(404);
      const del = await fetch(url, { method: 'DELETE', headers: { ...TUS, ...who } });
      expect(del.status).toBe(404);
      expect((await fetch(url, { headers: who })).status).toBe(404);
    }
    const mine = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...alice } });
    expect(mine.status).toBe(200);
    expect((await fetch(url, { method: 'DELETE', headers: { ...TUS, ...alice } })).status).toBe(
      204,
    );
  });

  it('a bad key is refused, not taken as anonymous', async () => {
    const res = await create(server, 10, { Authorization: basic('nope') });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, value: 'authentication_failed' });
  });

  it('an anonymous upload is a capability by its URL and gets a delete key', async () => {
    const data = randomBytes(40_000);
    const url = server.url + (await create(server, data.length)).headers.get('location')!;
    // Anyone with the URL (credentials or not) may go on.
    expect((await patch(url, 0, data.subarray(0, 1000), bob)).status).toBe(204);
    const last = await patch(url, 1000, data.subarray(1000));
    expect(last.status).toBe(204);
    const fileId = last.headers.get('stowage-file-id')!;
    const deleteKey = last.headers.get('stowage-delete-key');
    expect(deleteKey).toBeTruthy();
    const info = (await (await fetch(`${server.url}/api/file/${fileId}/info`)).json()) as {
      size: number;
    };
    expect(info.size).toBe(data.length);
  });

  it('declared bytes count against the storage quota while pending', async () => {
    const over = await create(server, 1_000_001, bob);
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ success: false, value: 'user_out_of_space' });
    const first = await create(server, 600_000, bob);
    expect(first.status).toBe(201);
    // 600 000 pending + 600 000 > 1 000 000.
    const second = await create(server, 600_000, bob);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ value: 'user_out_of_space' });
    await fetch(server.url + first.headers.get('location')!, {
      method: 'DELETE',
      headers: { ...TUS, ...bob },
    });
    expect((await create(server, 600_000, bob)).status).toBe(201);
  });

  it('at most tusMaxPending unfinished uploads per account', async () => {
    const carol = { Authorization: basic(await createUserWithKey(server, 'carol')) };
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create(server, 10, carol);
      expect(res.status).toBe(201);
      urls.push(server.url + res.headers.get('location')!);
    }
    const fourth = await create(server, 10, carol);
    expect(fourth.status).toBe(429);
    expect(await fourth.json()).toMatchObject({
      success: false,
      value: 'too_many_pending_uploads',
    });
    // A finished one no longer counts.
    expect((await patch(urls[0]!, 0, randomBytes(10), carol)).status).toBe(204);
    expect((await create(server, 10, carol)).status).toBe(201);
  });
});

describe.skipIf(ON_SCALE_OUT)('tus: anonymous uploads disabled', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTusServer({ allowAnonymousUploads: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creation without credentials is 401 in the pixeldrain shape', async () => {
    const res = await create(server, 10);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, value: 'authentication_required' });
  });
});

describe.skipIf(ON_SCALE_OUT)('tus: expiry', () => {
  let server: TestServer;
  let auth: { Authorization: string };
  let clock = Date.now();

  beforeAll(async () => {
    server = await startTusServer({ tusExpiryMs: '1h' }, { now: () => clock });
    auth = { Authorization: basic(await createUserWithKey(server, 'dave')) };
  });
  afterAll(async () => {
    await server?.close();
  });

  const rows = () => server.app.runtime.db.selectFrom('tus_uploads').selectAll().execute();

  it('an unfinished upload expires after its last write and leaves nothing behind', async () => {
    const created = await create(server, 100_000, auth);
    const url = server.url + created.headers.get('location')!;
    const expires = new Date(created.headers.get('upload-expires')!).getTime();
    expect(expires).toBeGreaterThan(Date.now() + HOUR - 60_000);
    expect((await patch(url, 0, randomBytes(50_000), auth)).status).toBe(204);
    // A write pushes the expiry: 40 minutes later, a write, 40 minutes later it is still there.
    clock += 40 * 60_000;
    expect((await patch(url, 50_000, randomBytes(10_000), auth)).status).toBe(204);
    clock += 40 * 60_000;
    expect(await server.app.runtime.core.tusSweep!.runOnce()).toBe(0);
    const head = await fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('60000');
    expect(head.headers.get('upload-expires')).toBeTruthy();

    clock += HOUR;
    expect((await fetch(url, { method: 'HEAD', headers: { ...TUS, ...auth } })).status).toBe(404);
    expect(await server.app.runtime.core.tusSweep!.runOnce()).toBe(1);
    expect(await tusFiles(server.dataDir)).toEqual([]);
    expect(await rows()).toEqual([]);
    expect(await server.app.runtime.blobs.pendingUploads()).toBe(0);
  });

  it("a finished upload's record goes after the same period; its file stays", async () => {
    const data = randomBytes(30_000);
    const url = server.url + (await create(server, data.length, auth)).headers.get('location')!;
    const last = await patch(url, 0, data, auth);
    const fileId = last.headers.get('stowage-file-id')!;
    expect((await fetch(url, { headers: auth })).status).toBe(200);
    clock += HOUR + 1;
    expect(await server.app.runtime.core.tusSweep!.runOnce()).toBe(1);
    expect(await rows()).toEqual([]);
    expect((await fetch(url, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.url}/api/file/${fileId}/info`)).status).toBe(200);
  });
});
