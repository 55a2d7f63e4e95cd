import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PixelDrain } from 'pixeldrainjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** The real npm client `pixeldrainjs` (spec section 8) against our server. */
describe('pixeldrainjs client', () => {
  let s: TestServer;
  let key: string;
  let dir: string;
  let file: string;
  const content = 'uploaded by pixeldrainjs\n'.repeat(100);

  const client = (k: string) => {
    const c = new PixelDrain(k);
    // BASE_URL is declared readonly but is a plain property; spec section 8 points it at a server this way.
    (c.pixeldrainService as { BASE_URL: string }).BASE_URL = `${s.url}/api`;
    return c;
  };

  beforeAll(async () => {
    s = await startServer();
    key = await createUserWithKey(s, 'gina');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-pdjs-'));
    file = path.join(dir, 'pdjs-upload.txt');
    await fs.writeFile(file, content);
  });
  afterAll(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('service.uploadFile({path}) returns the id of an owned file with the right bytes', async () => {
    const c = client(key);
    const id = await c.pixeldrainService.uploadFile({ path: file, name: '', anonymous: false });
    expect(id).toMatch(/^[A-Za-z0-9]{8}$/);
    const g = await fetch(`${s.url}/api/file/${id}`);
    expect(g.status).toBe(200);
    expect(await g.text()).toBe(content);
    const i = (await (
      await fetch(`${s.url}/api/file/${id}/info`, { headers: { Authorization: basic(key) } })
    ).json()) as {
      name: string;
      can_edit: boolean;
    };
    expect(i.name).toBe('pdjs-upload.txt');
    expect(i.can_edit).toBe(true);
  });

  it('uploadFile → getFile fields → delete', async () => {
    const c = client(key);
    const f = await c.uploadFile({ path: file, name: '', anonymous: false });
    expect(f.id).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(f.name).toBe('pdjs-upload.txt');
    expect(f.size).toBe(Buffer.byteLength(content));
    expect(f.can_edit).toBe(true);

    const got = await c.getFile(f.id);
    expect(got.id).toBe(f.id);
    expect(got.name).toBe('pdjs-upload.txt');
    expect(got.size).toBe(Buffer.byteLength(content));
    expect(got.views).toBe(0);
    expect(got.downloads).toBe(0);
    expect(got.bandwidth_used).toBe(0);
    expect(got.bandwidth_used_paid).toBe(0);
    expect(got.mime_type).toBe('text/plain; charset=utf-8');
    expect(got.thumbnail_href).toBe(`/file/${f.id}/thumbnail`);
    expect(got.hash_sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(got.can_edit).toBe(true);
    expect(String(got.date_upload)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(String(got.date_last_view)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    await got.delete();
    expect((await fetch(`${s.url}/api/file/${f.id}`)).status).toBe(404);
    await expect(c.getFile(f.id)).rejects.toMatchObject({ value: 'not_found', fileID: f.id });
  });

  it('an anonymous upload through the client is not owned by the key', async () => {
    const c = client(key);
    const f = await c.uploadFile({ path: file, name: '', anonymous: true });
    expect(f.id).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(f.can_edit).toBe(false);
    // Not the key's file: the client's delete is refused.
    await expect(f.delete()).rejects.toMatchObject({ value: 'forbidden' });
    expect((await fetch(`${s.url}/api/file/${f.id}/info`)).status).toBe(200);
  });

  it('a revoked/unknown key makes the client report authentication_failed', async () => {
    const c = client(randomUUID());
    await expect(
      c.pixeldrainService.uploadFile({ path: file, name: '', anonymous: false }),
    ).rejects.toMatchObject({
      value: 'authentication_failed',
    });
  });

  it("deleting someone else's file through the client is refused", async () => {
    const other = await createUserWithKey(s, 'hank');
    const mine = await client(key).uploadFile({ path: file, name: '', anonymous: false });
    await expect(client(other).pixeldrainService.deleteFile(mine.id)).rejects.toMatchObject({
      value: 'forbidden',
    });
    expect((await fetch(`${s.url}/api/file/${mine.id}`)).status).toBe(200);
  });
});
