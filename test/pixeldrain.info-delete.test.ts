import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

type Info = Record<string, unknown> & { id: string; name: string; size: number };

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const OK_BODY =
  '{"success":true,"value":"ok","message":"The requested action was successfully performed"}';

describe('pixeldrain info and delete', () => {
  let s: TestServer;
  let key: string;
  let otherKey: string;
  let a: Info;
  let b: Info;
  let c: Info;

  const upload = async (
    name: string,
    body: string,
    k: string | null = key,
  ): Promise<Info & { deleteKey?: string }> => {
    const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body,
      headers: k ? { Authorization: basic(k) } : {},
    });
    expect(r.status).toBe(201);
    return (await r.json()) as Info & { deleteKey?: string };
  };
  const info = (ids: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/api/file/${ids}/info`, { headers });
  const del = (id: string, headers: Record<string, string> = {}, query = '') =>
    fetch(`${s.url}/api/file/${id}${query}`, { method: 'DELETE', headers });

  beforeAll(async () => {
    s = await startServer();
    key = await createUserWithKey(s, 'erin');
    otherKey = await createUserWithKey(s, 'frank');
    a = await upload('a.txt', 'content of a');
    b = await upload('b.txt', 'content of b!');
    c = await upload('c.txt', 'content of c!!');
  });
  afterAll(() => s.close());

  describe('GET /api/file/{id}/info', () => {
    it('returns a FileInfo with the right fields and types', async () => {
      const before = Date.now();
      const f = await upload('info me.txt', 'information');
      const r = await info(f.id);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await r.text();
      expect(text.startsWith(`{"success":true,"id":"${f.id}",`)).toBe(true);
      const i = JSON.parse(text) as Record<string, unknown>;
      expect(i).toEqual({
        success: true,
        id: f.id,
        name: 'info me.txt',
        size: 11,
        views: 0,
        bandwidth_used: 0,
        bandwidth_used_paid: 0,
        downloads: 0,
        date_upload: expect.stringMatching(ISO_MS),
        date_last_view: expect.stringMatching(ISO_MS),
        mime_type: 'text/plain; charset=utf-8',
        thumbnail_href: `/file/${f.id}/thumbnail`,
        hash_sha256: createHash('sha256').update('information').digest('hex'),
        // Inactivity expiry (STOWAGE_FILE_EXPIRY_DAYS, 60 days from the upload).
        delete_after_date: new Date(
          Date.parse(String(i.date_upload)) + 60 * 86_400_000,
        ).toISOString(),
        delete_after_downloads: 0,
        availability: '',
        availability_message: '',
        abuse_type: '',
        abuse_reporter_name: '',
        can_edit: false,
        can_download: true,
        show_ads: expect.any(Boolean),
        allow_video_player: true,
        download_speed_limit: 0,
      });
      const uploaded = Date.parse(i.date_upload as string);
      expect(uploaded).toBeGreaterThanOrEqual(before - 5);
      expect(uploaded).toBeLessThanOrEqual(Date.now() + 5);
      expect(Date.parse(i.date_last_view as string)).toBeGreaterThanOrEqual(uploaded);
    });

    it('can_edit reflects the caller', async () => {
      expect(
        ((await (await info(a.id, { Authorization: basic(key) })).json()) as Info).can_edit,
      ).toBe(true);
      expect(
        ((await (await info(a.id, { Authorization: basic(otherKey) })).json()) as Info).can_edit,
      ).toBe(false);
      expect(((await (await info(a.id)).json()) as Info).can_edit).toBe(false);
    });

    it('a stale pd_auth_key cookie is ignored on a public read; a bad Basic key is refused', async () => {
      const r = await info(a.id, { Cookie: `pd_auth_key=${randomUUID()}` });
      expect(r.status).toBe(200);
      expect(((await r.json()) as Info).can_edit).toBe(false);
      const bad = await info(a.id, { Authorization: basic(randomUUID()) });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ value: 'authentication_failed' });
    });

    it('comma-separated ids give an array in the order asked, skipping missing ones', async () => {
      const r = await info(`${c.id},Missing1,${a.id},${b.id}`);
      expect(r.status).toBe(200);
      const list = (await r.json()) as Info[];
      expect(Array.isArray(list)).toBe(true);
      expect(list.map((f) => f.id)).toEqual([c.id, a.id, b.id]);
      expect(list.map((f) => f.name)).toEqual(['c.txt', 'a.txt', 'b.txt']);
      expect(list[0]).toMatchObject({ success: true, size: 14, hash_sha256: c.hash_sha256 });
      expect(Object.keys(list[0]!)).toEqual(Object.keys(c));
    });

    it('%2C-separated ids work too', async () => {
      const r = await info(`${b.id}%2C${a.id}%2cNoSuch99`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as Info[]).map((f) => f.id)).toEqual([b.id, a.id]);
    });

    it('a list with one existing id is still an array', async () => {
      const r = await info(`${a.id},Missing1`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as Info[];
      expect(Array.isArray(body)).toBe(true);
      expect(body).toHaveLength(1);
    });

    it('can_edit is per file in a list', async () => {
      const anon = await upload('anon.txt', 'anon', null);
      const r = await info(`${a.id},${anon.id}`, { Authorization: basic(key) });
      expect(((await r.json()) as Info[]).map((f) => f.can_edit)).toEqual([true, false]);
    });

    it('all missing -> 404 not_found', async () => {
      const r = await info('Missing1,Missing2,bad-id!');
      expect(r.status).toBe(404);
      expect(await r.json()).toMatchObject({ success: false, value: 'not_found' });
    });

    it('1000 ids are accepted (also %2C-separated), 1001 -> 422 string_out_of_range', async () => {
      // 10-character ids: the longest path the API docs' limit allows.
      const thousand = [
        a.id,
        ...Array.from({ length: 998 }, (_, i) => `Missing${i}`.padEnd(10, 'x')),
        b.id,
      ];
      for (const sep of [',', '%2C']) {
        const ok = await info(thousand.join(sep));
        expect(ok.status, sep).toBe(200);
        expect(((await ok.json()) as Info[]).map((f) => f.id)).toEqual([a.id, b.id]);
      }

      const r = await info([...thousand, c.id].join('%2C'));
      expect(r.status).toBe(422);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        success: false,
        value: 'string_out_of_range',
        extra: { max_len: 1000, len: 1001 },
      });
    });

    it('an unknown single id -> 404 not_found', async () => {
      for (const id of ['Missing1', 'not-an-id', 'x'.repeat(40)]) {
        const r = await info(id);
        expect(r.status, id).toBe(404);
        expect(await r.json()).toEqual({
          success: false,
          value: 'not_found',
          message: expect.any(String),
        });
      }
    });
  });

  describe('DELETE /api/file/{id}', () => {
    it('without credentials -> 401 authentication_required', async () => {
      const r = await del(a.id);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ success: false, value: 'authentication_required' });
      expect((await info(a.id)).status).toBe(200);
    });

    it('with a bad key -> 401 authentication_failed', async () => {
      const r = await del(a.id, { Authorization: basic(randomUUID()) });
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ success: false, value: 'authentication_failed' });
      expect((await info(a.id)).status).toBe(200);
    });

    it("with another user's key -> 403 forbidden", async () => {
      const r = await del(a.id, { Authorization: basic(otherKey) });
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ success: false, value: 'forbidden' });
      expect((await info(a.id)).status).toBe(200);
    });

    it('by the owner -> 200 ok, then the file is gone everywhere', async () => {
      const f = await upload('doomed.txt', 'doomed');
      // Warm any cache first.
      expect((await fetch(`${s.url}/api/file/${f.id}`)).status).toBe(200);
      expect((await info(f.id)).status).toBe(200);

      const r = await del(f.id, { Authorization: basic(key) });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);

      const g = await fetch(`${s.url}/api/file/${f.id}`);
      expect(g.status).toBe(404);
      expect(await g.json()).toMatchObject({ value: 'not_found' });
      expect((await info(f.id)).status).toBe(404);
      const again = await del(f.id, { Authorization: basic(key) });
      expect(again.status).toBe(404);
      expect(await again.json()).toMatchObject({ value: 'not_found' });
    });

    it('by the owner through the pd_auth_key cookie -> 200', async () => {
      const f = await upload('cookie-doomed.txt', 'doomed by cookie');
      const r = await del(f.id, { Cookie: `pd_auth_key=${key}` });
      expect(r.status).toBe(200);
      expect((await info(f.id)).status).toBe(404);
    });

    it('deleting one of two files with the same content leaves the other readable', async () => {
      const one = await upload('same1.txt', 'identical bytes');
      const two = await upload('same2.txt', 'identical bytes');
      expect((await del(one.id, { Authorization: basic(key) })).status).toBe(200);
      const g = await fetch(`${s.url}/api/file/${two.id}`);
      expect(g.status).toBe(200);
      expect(await g.text()).toBe('identical bytes');
    });

    it('a missing id -> 404 not_found', async () => {
      for (const id of ['Missing1', 'bad-id']) {
        const r = await del(id, { Authorization: basic(key) });
        expect(r.status, id).toBe(404);
        expect(await r.json()).toMatchObject({ success: false, value: 'not_found' });
      }
    });

    it('an anonymous upload is deleted with ?key=DELETEKEY', async () => {
      const f = await upload('anon-del.txt', 'anonymous, deletable', null);
      expect(f.deleteKey).toMatch(/^[0-9a-f-]{36}$/);
      const r = await del(f.id, {}, `?key=${f.deleteKey}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);
      expect((await info(f.id)).status).toBe(404);
    });

    it('the delete key from a multipart POST works as well', async () => {
      const form = new FormData();
      form.append('file', new Blob(['posted anonymously']), 'posted.txt');
      const p = await fetch(`${s.url}/api/file`, { method: 'POST', body: form });
      expect(p.status).toBe(201);
      const { id, deleteKey } = (await p.json()) as { id: string; deleteKey: string };
      expect((await del(id, {}, `?key=${deleteKey}`)).status).toBe(200);
      expect((await info(id)).status).toBe(404);
    });

    it('a wrong delete key -> 403 forbidden and the file stays', async () => {
      const f = await upload('anon-keep.txt', 'stays', null);
      const other = await upload('anon-other.txt', 'other', null);
      for (const wrong of [randomUUID(), other.deleteKey!, 'garbage']) {
        const r = await del(f.id, {}, `?key=${encodeURIComponent(wrong)}`);
        expect(r.status, wrong).toBe(403);
        expect(await r.json()).toMatchObject({ success: false, value: 'forbidden' });
      }
      expect((await info(f.id)).status).toBe(200);
      // The owner-less file cannot be deleted by a logged-in user either.
      const r = await del(f.id, { Authorization: basic(key) });
      expect(r.status).toBe(403);
      expect((await info(f.id)).status).toBe(200);
    });

    it("a delete key does not work on another user's owned file", async () => {
      const anon = await upload('anon-k.txt', 'k', null);
      const r = await del(b.id, {}, `?key=${anon.deleteKey}`);
      expect(r.status).toBe(403);
      expect((await info(b.id)).status).toBe(200);
    });
  });
});
