import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/**
 * The upload quotas count the filesystem's file nodes as the account's files: its storage (their
 * sizes) and its 24-hour bytes (their content's last write), on `PUT /api/filesystem/me/...` and on
 * `/api/file` uploads alike; `GET /api/user` reports the space they use.
 */

let s: TestServer;
const keys: Record<string, string> = {};

beforeAll(async () => {
  s = await startServer({ userStorageQuota: '1000', userDailyUpload: '600' });
  for (const name of ['gina', 'hank']) keys[name] = await createUserWithKey(s, name);
  const users = s.app.runtime.core.accounts;
  const set = async (name: string, fields: { dailyUploadQuota?: number; storageQuota?: number }) =>
    s.app.runtime.core.limits.accounts.set(
      { userId: null, name: 'test' },
      (await users.userByName(name)).id,
      fields,
    );
  // gina: no 24-hour limit (the storage quota trips first); hank: no storage limit.
  await set('gina', { dailyUploadQuota: -1 });
  await set('hank', { storageQuota: -1 });
});
afterAll(() => s?.close());

const bytes = (n: number, fill = 'x') => Buffer.alloc(n, fill);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function call(method: string, url: string, key: string, body?: Buffer) {
  const r = await fetch(`${s.url}${url}`, {
    method,
    headers: { authorization: basic(key) },
    ...(body ? { body: new Uint8Array(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}
const putNode = (path: string, body: Buffer, key: string) =>
  call('PUT', `/api/filesystem/me${path}?make_parents=true`, key, body);
const putFile = (name: string, body: Buffer, key: string) =>
  call('PUT', `/api/file/${name}`, key, body);

/** Whether any blob row holds this content. */
async function stored(body: Buffer): Promise<boolean> {
  const row = await s.app.runtime.db
    .selectFrom('blobs')
    .select('key')
    .where('key', '=', sha(body))
    .executeTakeFirst();
  return row !== undefined;
}

describe('quotas and file nodes', () => {
  it('storage: a filesystem PUT past the quota gets 400 user_out_of_space, nothing stored', async () => {
    expect((await putNode('/docs/a.bin', bytes(900, 'a'), keys.gina!)).status).toBe(200);
    const over = bytes(101, 'b');
    const r = await putNode('/docs/b.bin', over, keys.gina!);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      success: false,
      value: 'user_out_of_space',
      extra: { limit: 'storage', max: 1000, used: 900 },
    });
    expect(await stored(over)).toBe(false);
    const stat = await call('GET', '/api/filesystem/me/docs/b.bin?stat', keys.gina!);
    expect(stat.status).toBe(404);
    expect(stat.json.value).toBe('path_not_found');
    // What is left still fits.
    expect((await putNode('/docs/c.bin', bytes(100, 'c'), keys.gina!)).status).toBe(200);
  });

  it('storage: the nodes count against /api/file uploads too, and a deleted node frees its space', async () => {
    const r = await putFile('d.bin', bytes(1, 'd'), keys.gina!);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ value: 'user_out_of_space', extra: { used: 1000 } });
    const del = await call('DELETE', '/api/filesystem/me/docs/a.bin', keys.gina!);
    expect(del.status).toBe(200);
    expect((await putFile('d.bin', bytes(800, 'd'), keys.gina!)).status).toBe(201);
    // Files and nodes together: 100 + 800.
    const again = await putNode('/docs/e.bin', bytes(101, 'e'), keys.gina!);
    expect(again.json).toMatchObject({ value: 'user_out_of_space', extra: { used: 900 } });
  });

  it('24 hours: node writes count, an overwrite as a new upload', async () => {
    expect((await putNode('/x.bin', bytes(400, 'x'), keys.hank!)).status).toBe(200);
    const file = await putFile('y.bin', bytes(201, 'y'), keys.hank!);
    expect(file.status).toBe(400);
    expect(file.json).toMatchObject({
      value: 'user_out_of_space',
      extra: { limit: 'daily', max: 600, used: 400 },
    });
    expect((await putNode('/z.bin', bytes(200, 'z'), keys.hank!)).status).toBe(200);
    const over = bytes(1, 'w');
    const node = await putNode('/x.bin', over, keys.hank!);
    expect(node.status).toBe(400);
    expect(node.json).toMatchObject({ value: 'user_out_of_space', extra: { used: 600 } });
    expect(await stored(over)).toBe(false);
    // The node kept its content.
    const got = await fetch(`${s.url}/api/filesystem/me/x.bin`, {
      headers: { authorization: basic(keys.hank!) },
    });
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes(400, 'x'))).toBe(true);
  });

  it('an import of uploaded files counts its bytes', async () => {
    const id = String((await putFile('i.bin', bytes(10, 'i'), keys.gina!)).json.id);
    const r = await fetch(`${s.url}/api/filesystem/me/docs`, {
      method: 'POST',
      headers: {
        authorization: basic(keys.gina!),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ action: 'import', files: JSON.stringify([id]) }).toString(),
    });
    // 100 + 800 and the file's 10 stored; the import takes it to 920.
    expect(r.status).toBeLessThan(300);
    const u = await s.app.runtime.core.accounts.userByName('gina');
    expect(await s.app.runtime.core.limits.quota.usageOf(u.id)).toMatchObject({ bytes: 920 });
  });

  it('GET /api/user: storage_space_used counts the nodes; the filesystem’s share apart', async () => {
    const r = await call('GET', '/api/user', keys.gina!);
    expect(r.json).toMatchObject({
      storage_space_used: 920,
      filesystem_storage_used: 110,
      file_count: 2,
      filesystem_node_count: 2,
    });
  });
});
