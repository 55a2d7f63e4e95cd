import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/core/moderation/audit.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** A file blocked by an admin: 451 on every dialect's way to its bytes, for all but admins. */
let s: TestServer;
let ownerKey: string;
let adminKey: string;
let id: string;
let other: string;

const upload = async (name: string, body: string): Promise<string> => {
  const r = await fetch(`${s.url}/api/file/${name}`, {
    method: 'PUT',
    body,
    headers: { authorization: basic(ownerKey) },
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
};
const get = (path: string, key?: string) =>
  fetch(s.url + path, key ? { headers: { authorization: basic(key) } } : {});

beforeAll(async () => {
  s = await startServer();
  ownerKey = await createUserWithKey(s, 'owner');
  adminKey = await createUserWithKey(s, 'boss', { admin: true });
  id = await upload('bad.txt', 'bad bytes for the block test');
  other = await upload('fine.txt', 'fine bytes');
  await s.app.runtime.core.blocks.block(id, 'copyright', 'DMCA notice #42', CLI_ACTOR);
});
afterAll(() => s.close());

const expect451 = async (r: Response) => {
  expect(r.status).toBe(451);
  expect(await r.json()).toMatchObject({
    success: false,
    value: 'unavailable_for_legal_reasons',
    extra: { type: 'copyright' },
  });
};

describe('a blocked file', () => {
  it('pixeldrain download: 451 for strangers and the owner alike, the bytes for admins', async () => {
    await expect451(await get(`/api/file/${id}`));
    await expect451(await get(`/api/file/${id}`, ownerKey));
    const admin = await get(`/api/file/${id}`, adminKey);
    expect(admin.status).toBe(200);
    expect(await admin.text()).toBe('bad bytes for the block test');
    expect((await get(`/api/file/${other}`)).status).toBe(200);
  });

  it('zips (several ids, a list) and thumbnails: 451', async () => {
    await expect451(await get(`/api/file/${other},${id}?download`));
    const list = await fetch(`${s.url}/api/list`, {
      method: 'POST',
      body: JSON.stringify({ title: 'l', files: [{ id: other }, { id }] }),
      headers: { authorization: basic(ownerKey) },
    });
    expect(list.status).toBe(201);
    const listId = ((await list.json()) as { id: string }).id;
    await expect451(await get(`/api/list/${listId}/zip`));
    await expect451(await get(`/api/file/${id}/thumbnail`));
  });

  it('FileInfo: abuse_type, abuse_reporter_name and the availability', async () => {
    const r = await get(`/api/file/${id}/info`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      abuse_type: 'copyright',
      abuse_reporter_name: 'User submitted reports',
      availability: 'unavailable_for_legal_reasons',
    });
    const fine = (await (await get(`/api/file/${other}/info`)).json()) as Record<string, unknown>;
    expect(fine).toMatchObject({ abuse_type: '', abuse_reporter_name: '', availability: '' });
  });

  it('the viewer page answers 451 and carries abuse_type and block_reason', async () => {
    const r = await get(`/u/${id}`);
    expect(r.status).toBe(451);
    const html = await r.text();
    expect(html).toContain('"abuse_type":"copyright"');
    expect(html).toContain('"block_reason":"DMCA notice #42"');
    expect((await get(`/u/${other}`)).status).toBe(200);
  });

  it('FileBin pages and raw downloads: 451', async () => {
    for (const path of [`/${id}`, `/${id}/`, `/${id}/plain`, `/${id}/info`]) {
      const r = await get(path);
      expect(r.status, path).toBe(451);
      expect(await r.text()).not.toContain('bad bytes');
    }
    expect((await get(`/${other}`)).status).toBe(200);
  });

  it('Chevereto viewer and derived images: 451', async () => {
    expect((await get(`/image/${id}`)).status).toBe(451);
    expect((await get(`/image/${id}/thumb.jpg`)).status).toBe(451);
  });

  it('cannot be grabbed into another account (the copy would not be blocked)', async () => {
    const r = await fetch(`${s.url}/api/file`, {
      method: 'POST',
      body: new URLSearchParams({ grab_file: id }),
      headers: { authorization: basic(adminKey) },
    });
    expect(r.status).toBe(451);
  });

  it('is served again at once after unblocking, on this node', async () => {
    const fresh = await upload('later.txt', 'blocked and unblocked');
    expect((await get(`/api/file/${fresh}`)).status).toBe(200);
    await s.app.runtime.core.blocks.block(fresh, 'other', '', CLI_ACTOR);
    expect((await get(`/api/file/${fresh}`)).status).toBe(451);
    await s.app.runtime.core.blocks.unblock(fresh, 'mistake', CLI_ACTOR);
    expect((await get(`/api/file/${fresh}`)).status).toBe(200);
    const { entries } = await s.app.runtime.core.audit.list({ targetId: fresh });
    expect(entries.map((e) => e.action)).toEqual(['file.unblock', 'file.block']);
    expect(entries[0]).toMatchObject({ actorName: 'cli', reason: 'mistake' });
  });
});

describe('a blocked file that the virus scanner also flagged', () => {
  it('answers the admin block (its type and message); unblocked, the malware rule again', async () => {
    const infected = await upload('eicar.txt', 'pretend this is infected');
    const { db, core } = s.app.runtime;
    const sha = (await core.files.get(infected)).blobKey;
    await db
      .updateTable('blobs')
      .set({ scan_status: 'infected', scan_signature: 'Test.Sig' })
      .where('key', '=', sha)
      .execute();
    core.files.forget(infected);
    await core.blocks.block(infected, 'terrorism', 'both', CLI_ACTOR);
    const r = await get(`/api/file/${infected}`);
    expect(r.status).toBe(451);
    const body = (await r.json()) as { message: string; extra: { type: string } };
    expect(body.extra.type).toBe('terrorism');
    expect(body.message).toMatch(/administrators/);
    const info = (await (await get(`/api/file/${infected}/info`)).json()) as Record<string, string>;
    expect(info.abuse_type).toBe('terrorism');
    expect(info.availability_message).toMatch(/administrators/);
    await core.blocks.unblock(infected, '', CLI_ACTOR);
    const after = (await (await get(`/api/file/${infected}/info`)).json()) as Record<
      string,
      string
    >;
    expect(after.abuse_type).toBe('malware');
    expect(after.abuse_reporter_name).toBe('');
    expect((await get(`/api/file/${infected}`)).status).toBe(403);
  });
});
