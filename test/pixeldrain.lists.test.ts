import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** Lists (albums) over real HTTP, and the user's own files and lists (JSON and CSV). */

type Json = Record<string, unknown>;
type Info = Json & { id: string; name: string; size: number; hash_sha256: string };
type ListFile = Info & { detail_href: string; description: string };
type ListInfo = {
  success: boolean;
  id: string;
  title: string;
  date_created: string;
  file_count: number;
  can_edit: boolean;
  files: ListFile[];
};

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const CREATED_LIST = /^\{"success":true,"id":"[A-Za-z0-9]{8}"\}$/;
const OK_BODY =
  '{"success":true,"value":"ok","message":"The requested action was successfully performed"}';

/** RFC 4180: quoted fields with "" escapes, commas and line breaks inside quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (c === '\n' || c === '\r') {
      throw new Error(`bare line break at ${i}: rows must end with CRLF`);
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) throw new Error('last row does not end with CRLF');
  return rows;
}

describe('parseCsv (test helper)', () => {
  it('reads quoted fields, escaped quotes and embedded commas and line breaks', () => {
    expect(parseCsv('a,b\r\n"x, ""y""","1\r\n2"\r\n,\r\n')).toEqual([
      ['a', 'b'],
      ['x, "y"', '1\r\n2'],
      ['', ''],
    ]);
  });
});

describe('pixeldrain lists', () => {
  let s: TestServer;
  let noAnon: TestServer;
  let key: string;
  let otherKey: string;
  let a: Info;
  let b: Info;
  let c: Info;

  const upload = async (
    name: string,
    body: string | Uint8Array,
    k: string | null = key,
    server = s,
  ): Promise<Info> => {
    const r = await fetch(`${server.url}/api/file/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers: k ? { Authorization: basic(k) } : {},
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return (await r.json()) as Info;
  };
  const auth = (k: string) => ({ Authorization: basic(k) });
  /** POST /api/list with a JSON body sent as fetch sends a string: text/plain;charset=UTF-8. */
  const createList = (body: unknown, headers: Record<string, string> = auth(key), server = s) =>
    fetch(`${server.url}/api/list`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers,
    });
  const newList = async (body: unknown, headers: Record<string, string> = auth(key)) => {
    const r = await createList(body, headers);
    const text = await r.text();
    expect(r.status, text).toBe(201);
    expect(text).toMatch(CREATED_LIST);
    return (JSON.parse(text) as { id: string }).id;
  };
  const getList = async (id: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${s.url}/api/list/${id}`, { headers });
    expect(r.status).toBe(200);
    return { text: await r.clone().text(), list: (await r.json()) as ListInfo };
  };
  const putList = (id: string, body: unknown, headers: Record<string, string> = auth(key)) =>
    fetch(`${s.url}/api/list/${id}`, { method: 'PUT', body: JSON.stringify(body), headers });
  const deleteList = (id: string, headers: Record<string, string> = auth(key)) =>
    fetch(`${s.url}/api/list/${id}`, { method: 'DELETE', headers });
  const expectError = async (r: Response, status: number, value: string) => {
    const text = await r.text();
    expect(r.status, text).toBe(status);
    const body = JSON.parse(text) as Json;
    expect(body).toMatchObject({ success: false, value, message: expect.any(String) });
    return body;
  };

  beforeAll(async () => {
    [s, noAnon] = await Promise.all([startServer(), startServer({ allowAnonymousUploads: false })]);
    key = await createUserWithKey(s, 'lister');
    otherKey = await createUserWithKey(s, 'stranger');
    a = await upload('a.txt', 'content of a');
    b = await upload('b.txt', 'content of b!');
    c = await upload('c.bin', new Uint8Array(40_000).fill(9));
  });
  afterAll(async () => {
    await Promise.all([s.close(), noAnon.close()]);
  });

  describe('POST /api/list', () => {
    it('JSON sent as text/plain -> 201 exactly {"success":true,"id"}', async () => {
      const r = await fetch(`${s.url}/api/list`, {
        method: 'POST',
        body: JSON.stringify({ title: 'plain', files: [{ id: a.id }] }),
        headers: auth(key),
      });
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.status).toBe(201);
      expect(await r.text()).toMatch(CREATED_LIST);
    });

    it('JSON with no Content-Type at all, and as application/json', async () => {
      const body = new TextEncoder().encode(JSON.stringify({ files: [{ id: b.id }] }));
      const raw = await fetch(`${s.url}/api/list`, { method: 'POST', body, headers: auth(key) });
      expect(raw.status).toBe(201);
      expect(await raw.text()).toMatch(CREATED_LIST);
      const json = await fetch(`${s.url}/api/list`, {
        method: 'POST',
        body: JSON.stringify({ files: [{ id: b.id }] }),
        headers: { ...auth(key), 'Content-Type': 'application/json' },
      });
      expect(json.status).toBe(201);
      expect(await json.text()).toMatch(CREATED_LIST);
    });

    it('the title defaults to "Pixeldrain List"', async () => {
      const id = await newList({ files: [{ id: a.id }] });
      expect((await getList(id)).list.title).toBe('Pixeldrain List');
    });

    it('title: 300 characters are fine, 301 -> 413 title_too_long', async () => {
      const ok = await newList({ title: 'é'.repeat(300), files: [{ id: a.id }] });
      expect((await getList(ok)).list.title).toBe('é'.repeat(300));
      await expectError(
        await createList({ title: 't'.repeat(301), files: [{ id: a.id }] }),
        413,
        'title_too_long',
      );
    });

    it('description: 3000 characters are fine, 3001 -> 413 description_too_long', async () => {
      const ok = await newList({ files: [{ id: a.id, description: 'd'.repeat(3000) }] });
      expect((await getList(ok)).list.files[0]!.description).toBe('d'.repeat(3000));
      await expectError(
        await createList({
          files: [{ id: a.id }, { id: b.id, description: 'd'.repeat(3001) }],
        }),
        413,
        'description_too_long',
      );
    });

    it('10000 files are fine, 10001 -> 413 too_many_files', async () => {
      const many = Array.from({ length: 10_000 }, (_, i) => ({ id: [a.id, b.id][i % 2]! }));
      const id = await newList({ title: 'huge', files: many });
      const r = await fetch(`${s.url}/api/list/${id}`);
      expect(r.status).toBe(200);
      const list = (await r.json()) as ListInfo;
      expect(list.file_count).toBe(10_000);
      expect(list.files).toHaveLength(10_000);
      expect(list.files[9_999]!.id).toBe(b.id);
      await expectError(
        await createList({ files: [...many, { id: a.id }] }),
        413,
        'too_many_files',
      );
    });

    it('no files -> 422 cannot_create_empty_list', async () => {
      for (const body of [{ title: 'empty', files: [] }, { title: 'no files field' }]) {
        await expectError(await createList(body), 422, 'cannot_create_empty_list');
      }
    });

    it('an unknown file -> 422 list_file_not_found naming it in extra.file_not_found', async () => {
      for (const missing of ['NoSuchF1', 'bad-id!']) {
        const body = await expectError(
          await createList({ files: [{ id: a.id }, { id: missing }, { id: b.id }] }),
          422,
          'list_file_not_found',
        );
        expect(body.extra).toEqual({ file_not_found: missing });
      }
    });

    it('malformed JSON or wrong types -> 422 json_parse_failed', async () => {
      for (const body of [
        '{"title": "x", "files": [',
        'not json at all',
        '',
        '[]',
        '"a string"',
        'null',
        JSON.stringify({ title: 5, files: [{ id: a.id }] }),
        JSON.stringify({ anonymous: 'yes', files: [{ id: a.id }] }),
        JSON.stringify({ files: a.id }),
        JSON.stringify({ files: [a.id] }),
        JSON.stringify({ files: [{ id: 42 }] }),
        JSON.stringify({ files: [{ id: a.id, description: 7 }] }),
      ]) {
        await expectError(await createList(body), 422, 'json_parse_failed');
      }
    });

    it('without a key: 401 when anonymous uploads are disabled', async () => {
      const f = await upload('x.txt', 'x', await createUserWithKey(noAnon, 'nouser'), noAnon);
      const r = await createList({ files: [{ id: f.id }] }, {}, noAnon);
      await expectError(r, 401, 'authentication_required');
      const k = await createUserWithKey(noAnon, 'haskey');
      const ok = await createList({ files: [{ id: f.id }] }, auth(k), noAnon);
      expect(ok.status).toBe(201);
    });

    it('without a key when anonymous uploads are allowed: a list nobody can edit', async () => {
      const id = await newList({ files: [{ id: a.id }] }, {});
      expect((await getList(id)).list.can_edit).toBe(false);
      expect((await getList(id, auth(key))).list.can_edit).toBe(false);
      await expectError(await deleteList(id, auth(key)), 403, 'forbidden');
    });

    it('a bad key is refused even where anonymous lists are allowed', async () => {
      await expectError(
        await createList({ files: [{ id: a.id }] }, auth(randomUUID())),
        401,
        'authentication_failed',
      );
    });

    it('`anonymous: true`: can_edit is false even for the creator, and it is not theirs', async () => {
      const id = await newList({ title: 'anon list', anonymous: true, files: [{ id: a.id }] });
      expect((await getList(id, auth(key))).list.can_edit).toBe(false);
      await expectError(
        await putList(id, { title: 'mine now', files: [{ id: a.id }] }),
        403,
        'forbidden',
      );
      await expectError(await deleteList(id), 403, 'forbidden');
      const mine = (await (
        await fetch(`${s.url}/api/user/lists`, { headers: auth(key) })
      ).json()) as { lists: Json[] };
      expect(mine.lists.map((l) => l.id)).not.toContain(id);
    });
  });

  describe('GET /api/list/{id}', () => {
    let id: string;
    const before = Date.now();

    beforeAll(async () => {
      id = await newList({
        title: 'アルバム "quoted" & <b>',
        files: [
          { id: c.id, description: 'the binary one' },
          { id: a.id },
          { id: b.id, description: 'b — ünïcödé' },
        ],
      });
    });

    it('fields in order; files keep their order with detail_href and description first', async () => {
      const { text, list } = await getList(id);
      expect(Object.keys(list)).toEqual([
        'success',
        'id',
        'title',
        'date_created',
        'file_count',
        'can_edit',
        'files',
      ]);
      expect(text.startsWith(`{"success":true,"id":"${id}",`)).toBe(true);
      expect(list).toMatchObject({
        success: true,
        id,
        title: 'アルバム "quoted" & <b>',
        date_created: expect.stringMatching(ISO_MS),
        file_count: 3,
        can_edit: false,
      });
      const created = Date.parse(list.date_created);
      expect(created).toBeGreaterThanOrEqual(before - 5);
      expect(created).toBeLessThanOrEqual(Date.now() + 5);

      expect(list.files.map((f) => f.id)).toEqual([c.id, a.id, b.id]);
      expect(list.files.map((f) => f.description)).toEqual(['the binary one', '', 'b — ünïcödé']);
      for (const [f, src] of [
        [list.files[0]!, c],
        [list.files[1]!, a],
        [list.files[2]!, b],
      ] as const) {
        const info = (await (await fetch(`${s.url}/api/file/${src.id}/info`)).json()) as Info;
        expect(Object.keys(f)).toEqual(['detail_href', 'description', ...Object.keys(info)]);
        expect(f.detail_href).toBe(`/file/${src.id}/info`);
        const { detail_href: _h, description: _d, ...rest } = f;
        expect(rest).toMatchObject({
          success: true,
          id: src.id,
          name: src.name,
          size: src.size,
          hash_sha256: src.hash_sha256,
          mime_type: info.mime_type,
          date_upload: info.date_upload,
          availability: '',
          can_download: true,
        });
      }
    });

    it('can_edit is true only with the owner key', async () => {
      expect((await getList(id, auth(key))).list.can_edit).toBe(true);
      expect((await getList(id, { Cookie: `pd_auth_key=${key}` })).list.can_edit).toBe(true);
      expect((await getList(id, auth(otherKey))).list.can_edit).toBe(false);
      expect((await getList(id)).list.can_edit).toBe(false);
      // The files' can_edit is per file and per viewer too.
      const theirs = await upload('theirs.txt', 'theirs', otherKey);
      const mixed = await newList({ files: [{ id: a.id }, { id: theirs.id }] });
      expect((await getList(mixed, auth(key))).list.files.map((f) => f.can_edit)).toEqual([
        true,
        false,
      ]);
      expect((await getList(mixed, auth(otherKey))).list.files.map((f) => f.can_edit)).toEqual([
        false,
        true,
      ]);
    });

    it('an unknown list -> 404 not_found', async () => {
      for (const missing of ['NoSuchL1', 'bad-id!', a.id]) {
        await expectError(await fetch(`${s.url}/api/list/${missing}`), 404, 'not_found');
      }
    });
  });

  describe('PUT and DELETE /api/list/{id}', () => {
    it('the owner replaces title, files and their order', async () => {
      const id = await newList({
        title: 'before',
        files: [{ id: a.id, description: 'first' }, { id: b.id }],
      });
      const r = await putList(id, {
        title: 'after',
        files: [{ id: c.id }, { id: b.id, description: 'now described' }, { id: a.id }],
      });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);
      const { list } = await getList(id);
      expect(list.title).toBe('after');
      expect(list.file_count).toBe(3);
      expect(list.files.map((f) => [f.id, f.description])).toEqual([
        [c.id, ''],
        [b.id, 'now described'],
        [a.id, ''],
      ]);
    });

    it('PUT accepts the web UI shape: JSON as text/plain through the cookie', async () => {
      const id = await newList({ title: 'web', files: [{ id: a.id }] });
      const r = await fetch(`${s.url}/api/list/${id}`, {
        method: 'PUT',
        body: JSON.stringify({ title: 'web edited', files: [{ id: b.id }] }),
        headers: { Cookie: `pd_auth_key=${key}`, Origin: s.url },
      });
      expect(r.status).toBe(200);
      const { list } = await getList(id);
      expect([list.title, list.files.map((f) => f.id)]).toEqual(['web edited', [b.id]]);
    });

    it('PUT by another user -> 403, without a key -> 401; the list is unchanged', async () => {
      const id = await newList({ title: 'guarded', files: [{ id: a.id }] });
      const change = { title: 'hijacked', files: [{ id: b.id }] };
      await expectError(await putList(id, change, auth(otherKey)), 403, 'forbidden');
      await expectError(await putList(id, change, {}), 401, 'authentication_required');
      await expectError(
        await putList(id, change, auth(randomUUID())),
        401,
        'authentication_failed',
      );
      const { list } = await getList(id);
      expect([list.title, list.files.map((f) => f.id)]).toEqual(['guarded', [a.id]]);
    });

    it('PUT with invalid content is refused and changes nothing', async () => {
      const id = await newList({ title: 'stable', files: [{ id: a.id }] });
      const missing = await expectError(
        await putList(id, { title: 'x', files: [{ id: b.id }, { id: 'NoSuchF2' }] }),
        422,
        'list_file_not_found',
      );
      expect(missing.extra).toEqual({ file_not_found: 'NoSuchF2' });
      await expectError(
        await putList(id, { title: 'x'.repeat(301), files: [{ id: b.id }] }),
        413,
        'title_too_long',
      );
      await expectError(
        await putList(id, { title: 'x', files: [] }),
        422,
        'cannot_create_empty_list',
      );
      const r = await fetch(`${s.url}/api/list/${id}`, {
        method: 'PUT',
        body: '{oops',
        headers: auth(key),
      });
      await expectError(r, 422, 'json_parse_failed');
      const { list } = await getList(id);
      expect([list.title, list.files.map((f) => f.id)]).toEqual(['stable', [a.id]]);
    });

    it('PUT or DELETE of an unknown list -> 404', async () => {
      await expectError(await putList('NoSuchL2', { files: [{ id: a.id }] }), 404, 'not_found');
      await expectError(await deleteList('NoSuchL2'), 404, 'not_found');
    });

    it('DELETE: another user -> 403, no key -> 401, the owner -> 200 and it is gone', async () => {
      const id = await newList({ title: 'doomed', files: [{ id: a.id }] });
      await expectError(await deleteList(id, auth(otherKey)), 403, 'forbidden');
      await expectError(await deleteList(id, {}), 401, 'authentication_required');
      expect((await fetch(`${s.url}/api/list/${id}`)).status).toBe(200);
      const r = await deleteList(id);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);
      await expectError(await fetch(`${s.url}/api/list/${id}`), 404, 'not_found');
      await expectError(await deleteList(id), 404, 'not_found');
      // The files themselves stay.
      expect((await fetch(`${s.url}/api/file/${a.id}/info`)).status).toBe(200);
    });

    it('a file deleted later drops out of its lists; the list still loads', async () => {
      const gone = await upload('short-lived.txt', 'short-lived');
      const id = await newList({
        title: 'survivor',
        files: [{ id: a.id }, { id: gone.id, description: 'will go' }, { id: b.id }],
      });
      expect((await getList(id)).list.file_count).toBe(3);
      const d = await fetch(`${s.url}/api/file/${gone.id}`, {
        method: 'DELETE',
        headers: auth(key),
      });
      expect(d.status).toBe(200);
      const { list } = await getList(id);
      expect(list.file_count).toBe(2);
      expect(list.files.map((f) => f.id)).toEqual([a.id, b.id]);
      const mine = (await (
        await fetch(`${s.url}/api/user/lists`, { headers: auth(key) })
      ).json()) as { lists: Json[] };
      expect(mine.lists.find((l) => l.id === id)).toMatchObject({ file_count: 2 });
      // The zip of the list still works too.
      const z = await fetch(`${s.url}/api/list/${id}/zip`);
      expect(z.status).toBe(200);
      await z.arrayBuffer();
    });
  });

  describe('GET /api/user/lists', () => {
    let u: string;
    const tricky = 'Trip, "Paris" 2024\nday two';

    beforeAll(async () => {
      u = await createUserWithKey(s, 'collector');
    });

    it('JSON: the caller’s lists only, with id, title, date_created, file_count, can_edit', async () => {
      const f = await upload('mine.txt', 'collector data', u);
      const first = await newList({ title: 'first', files: [{ id: f.id }] }, auth(u));
      const second = await newList({ title: tricky, files: [{ id: f.id }, { id: a.id }] }, auth(u));
      await newList({ title: 'not mine', files: [{ id: f.id }] }, auth(key));
      await newList({ title: 'anonymous', anonymous: true, files: [{ id: f.id }] }, auth(u));

      const r = await fetch(`${s.url}/api/user/lists`, { headers: auth(u) });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await r.json()) as { lists: Json[] };
      expect(Object.keys(body)).toEqual(['lists']);
      expect(body.lists).toHaveLength(2);
      const byId = new Map(body.lists.map((l) => [l.id, l]));
      expect(byId.get(first)).toMatchObject({
        id: first,
        title: 'first',
        date_created: expect.stringMatching(ISO_MS),
        file_count: 1,
        can_edit: true,
      });
      expect(byId.get(second)).toMatchObject({ title: tricky, file_count: 2, can_edit: true });
      for (const l of body.lists) {
        // Files are omitted (pixeldrain sends "files": null); a summary has no file entries.
        expect(l.files ?? null).toBeNull();
      }
    });

    it('?format=csv: RFC 4180 with CRLF, a title with comma, quote and newline survives', async () => {
      const r = await fetch(`${s.url}/api/user/lists?format=csv`, { headers: auth(u) });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.csv"$/);
      const text = await r.text();
      expect(text.endsWith('\r\n')).toBe(true);
      const rows = parseCsv(text);
      expect(rows[0]).toEqual(['id', 'title', 'date_created', 'file_count']);
      const json = (await (
        await fetch(`${s.url}/api/user/lists`, { headers: auth(u) })
      ).json()) as { lists: Json[] };
      expect(rows.slice(1)).toEqual(
        json.lists.map((l) => [l.id, l.title, l.date_created, String(l.file_count)]),
      );
      expect(rows.slice(1).map((row) => row[1])).toContain(tricky);
    });

    it('without a key -> 401', async () => {
      for (const q of ['', '?format=csv']) {
        await expectError(
          await fetch(`${s.url}/api/user/lists${q}`),
          401,
          'authentication_required',
        );
      }
    });
  });

  describe('GET /api/user/files', () => {
    it('JSON {"files":[FileInfo...]} of the caller’s files only, can_edit true', async () => {
      const u = await createUserWithKey(s, 'filer');
      const x = await upload('x, "the" file.txt', 'x data', u);
      const y = await upload('y.bin', new Uint8Array(30_000).fill(1), u);
      const r = await fetch(`${s.url}/api/user/files`, { headers: auth(u) });
      expect(r.status).toBe(200);
      const text = await r.text();
      expect(text.startsWith('{"files":[')).toBe(true);
      const body = JSON.parse(text) as { files: Info[] };
      expect(Object.keys(body)).toEqual(['files']);
      expect(body.files.map((f) => f.id).sort()).toEqual([x.id, y.id].sort());
      const infoKeys = Object.keys(
        (await (await fetch(`${s.url}/api/file/${x.id}/info`)).json()) as Json,
      );
      for (const f of body.files) {
        expect(Object.keys(f)).toEqual(infoKeys);
        expect(f.can_edit).toBe(true);
        expect(f.success).toBe(true);
      }
      expect(body.files.find((f) => f.id === x.id)).toMatchObject({
        name: 'x, "the" file.txt',
        size: 6,
        hash_sha256: createHash('sha256').update('x data').digest('hex'),
      });

      // Someone with no files: an empty array.
      const empty = await createUserWithKey(s, 'filer2');
      expect(await (await fetch(`${s.url}/api/user/files`, { headers: auth(empty) })).text()).toBe(
        '{"files":[]}',
      );
    });

    it('?format=csv: a header row and one row per file, names round-trip', async () => {
      const u = await createUserWithKey(s, 'csvfiler');
      const x = await upload('report, "final" v2.txt', 'report', u);
      const y = await upload('plain.txt', 'plain!', u);
      const r = await fetch(`${s.url}/api/user/files?format=csv`, { headers: auth(u) });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      const rows = parseCsv(await r.text());
      const header = rows[0]!;
      expect(header).toEqual(expect.arrayContaining(['id', 'name', 'size', 'hash_sha256']));
      const col = (name: string) => header.indexOf(name);
      const records = rows.slice(1);
      expect(records).toHaveLength(2);
      for (const row of records) expect(row).toHaveLength(header.length);
      const byId = new Map(records.map((row) => [row[col('id')], row]));
      for (const f of [x, y]) {
        const row = byId.get(f.id)!;
        expect(row[col('name')]).toBe(f.name);
        expect(row[col('size')]).toBe(String(f.size));
        expect(row[col('hash_sha256')]).toBe(f.hash_sha256);
      }
      expect(byId.get(x.id)![col('name')]).toBe('report, "final" v2.txt');
    });

    it('without a key -> 401', async () => {
      await expectError(await fetch(`${s.url}/api/user/files`), 401, 'authentication_required');
    });
  });
});
