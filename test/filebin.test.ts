import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** The FileBin dialect beyond the golden contract: keys across APIs, levels, form shapes, pages. */

let server: TestServer;
let pdKey: string;
const API = '/api/v2.2.0';

type Fields = Record<string, string> | [string, string][];

async function post(path: string, fields: Fields, files: [string, string, string | Buffer][] = []) {
  const entries = Array.isArray(fields) ? fields : Object.entries(fields);
  let body: FormData | URLSearchParams;
  if (files.length > 0) {
    const form = new FormData();
    for (const [field, name, content] of files)
      form.append(
        field,
        new Blob([typeof content === 'string' ? content : new Uint8Array(content)]),
        name,
      );
    for (const [k, v] of entries) form.append(k, v);
    body = form;
  } else {
    body = new URLSearchParams(entries);
  }
  const r = await fetch(server.url + path, { method: 'POST', body });
  const text = await r.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies of many shapes
  let json: { status: string; data?: any; error_id?: string; message?: string } | null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: r.status, type: r.headers.get('content-type'), text, json };
}

async function newKey(apikey: string, level: string, comment = ''): Promise<string> {
  const r = await post(`${API}/user/create_apikey`, { apikey, access_level: level, comment });
  expect(r.status, r.text).toBe(200);
  return r.json!.data.new_key as string;
}

async function upload(apikey: string, files: [string, string | Buffer][], more: Fields = {}) {
  const extra = Array.isArray(more) ? more : Object.entries(more);
  const r = await post(
    `${API}/file/upload`,
    [...extra, ['apikey', apikey]],
    files.map(([name, content], i) => [`file[${i + 1}]`, name, content]),
  );
  expect(r.status, r.text).toBe(200);
  return r.json!.data.ids as string[];
}

beforeAll(async () => {
  server = await startServer();
  pdKey = await createUserWithKey(server, 'alice');
  await server.app.runtime.core.accounts.createUser('mallory', 'mallorypass', false);
});

afterAll(async () => {
  await server?.close();
});

describe('one key, both APIs', () => {
  it('a pixeldrain key is a full FileBin key, and a FileBin key works on pixeldrain', async () => {
    const fbKey = await newKey(pdKey, 'apikey', 'laptop');
    expect(fbKey).toMatch(/^[A-Za-z0-9]{32}$/);
    const put = await fetch(`${server.url}/api/file/from-pd.txt`, {
      method: 'PUT',
      body: 'uploaded through pixeldrain',
      headers: { authorization: basic(fbKey) },
    });
    expect(put.status).toBe(201);
    const { id } = (await put.json()) as { id: string };
    const h = await post(`${API}/file/history`, { apikey: fbKey });
    expect(Object.keys(h.json!.data.items)).toContain(id);
    // The pixeldrain session list shows the FileBin key (by its id, with its comment).
    const sessions = await fetch(`${server.url}/api/user/session`, {
      headers: { authorization: basic(pdKey) },
    });
    expect(await sessions.text()).toContain('"app_name":"laptop"');
  });

  it('a file uploaded through FileBin appears in /api/user/files, with its MD5 in history', async () => {
    const [id] = await upload(pdKey, [['fb.txt', 'hello world\n']]);
    const r = await fetch(`${server.url}/api/user/files`, {
      headers: { authorization: basic(pdKey) },
    });
    const { files } = (await r.json()) as { files: { id: string; name: string }[] };
    expect(files.find((f) => f.id === id)?.name).toBe('fb.txt');
    const h = await post(`${API}/file/history`, { apikey: pdKey });
    expect(h.json!.data.items[id!].hash).toBe('6f5902ac237024bdd0c176cb93063dc4');
    // Served raw at the root, as fb -g fetches it.
    expect(await (await fetch(`${server.url}/${id}`)).text()).toBe('hello world\n');
  });

  it('deleting a file through pixeldrain removes its multipastes; pixeldrain lists only lose it', async () => {
    const [a, b] = await upload(pdKey, [
      ['one.txt', 'one\n'],
      ['two.txt', 'two\n'],
    ]);
    const mp = await post(`${API}/file/create_multipaste`, {
      'ids[1]': a!,
      'ids[2]': b!,
      apikey: pdKey,
    });
    const mid = mp.json!.data.url_id as string;
    expect((await fetch(`${server.url}/${mid}/`)).status).toBe(200);
    const list = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { authorization: basic(pdKey) },
      body: JSON.stringify({ title: 'keep me', files: [{ id: a }, { id: b }] }),
    });
    const { id: listId } = (await list.json()) as { id: string };

    const del = await fetch(`${server.url}/api/file/${a}`, {
      method: 'DELETE',
      headers: { authorization: basic(pdKey) },
    });
    expect(del.status).toBe(200);
    expect((await fetch(`${server.url}/${mid}/`)).status).toBe(404);
    const h = await post(`${API}/file/history`, { apikey: pdKey });
    expect(h.json!.data.multipaste_items[mid]).toBeUndefined();
    expect(h.json!.data.items[b!]).toBeDefined();
    const l = (await (await fetch(`${server.url}/api/list/${listId}`)).json()) as {
      file_count: number;
    };
    expect(l.file_count).toBe(1);
    // Multipastes are not pixeldrain lists.
    const lists = await fetch(`${server.url}/api/user/lists`, {
      headers: { authorization: basic(pdKey) },
    });
    expect(await lists.text()).not.toContain('m-');
  });
});

describe('access levels', () => {
  it('basic uploads and makes multipastes; apikey adds history and delete; full adds user/*', async () => {
    const basicKey = await newKey(pdKey, 'basic');
    const apiKey = await newKey(pdKey, 'apikey');
    const [id] = await upload(basicKey, [['lvl.txt', 'levels\n']]);
    expect(
      (await post(`${API}/file/create_multipaste`, { 'ids[]': id!, apikey: basicKey })).status,
    ).toBe(200);
    for (const ep of ['file/history', 'file/delete']) {
      const r = await post(`${API}/${ep}`, { 'ids[]': id!, apikey: basicKey });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        status: 'error',
        error_id: 'api/insufficient-permissions',
        message: 'Access denied: Access level too low. Required: apikey; Have: basic',
      });
    }
    expect((await post(`${API}/file/history`, { apikey: apiKey })).status).toBe(200);
    for (const ep of ['user/apikeys', 'user/create_apikey', 'user/delete_apikey']) {
      const r = await post(`${API}/${ep}`, { apikey: apiKey, access_level: 'basic' });
      expect(r.json!.message).toBe(
        'Access denied: Access level too low. Required: full; Have: apikey',
      );
    }
    expect(
      (await post(`${API}/file/delete`, { 'ids[]': id!, apikey: apiKey })).json!.data,
    ).toMatchObject({ deleted_count: 1 });
  });

  it('username + password only on create_apikey; other users’ files are refused', async () => {
    const r = await post(`${API}/file/history`, { username: 'mallory', password: 'mallorypass' });
    expect(r.json!.error_id).toBe('api/not-authenticated');
    const created = await post(`${API}/user/create_apikey`, {
      username: 'mallory',
      password: 'mallorypass',
      access_level: 'full',
    });
    const mallory = created.json!.data.new_key as string;
    const [mine] = await upload(pdKey, [['mine.txt', 'mine\n']]);
    const del = await post(`${API}/file/delete`, { 'ids[]': mine!, apikey: mallory });
    expect(del.json!.data).toEqual({
      errors: { [mine!]: { id: mine, reason: 'wrong owner' } },
      deleted: {},
      total_count: 1,
      deleted_count: 0,
    });
    // delete_apikey by the id user/apikeys lists.
    const keys = await post(`${API}/user/apikeys`, { apikey: mallory });
    const [keyId] = Object.keys(keys.json!.data.apikeys as object);
    const gone = await post(`${API}/user/delete_apikey`, { apikey: mallory, delete_key: keyId! });
    expect(gone.text).toBe(
      `{"status":"success","data":{"deleted_keys":{"${keyId}":{"key":"${keyId}"}}}}`,
    );
    expect((await post(`${API}/file/history`, { apikey: mallory })).json!.error_id).toBe(
      'user/api-login-failed',
    );
  });
});

describe('request shapes', () => {
  it('refuses array values where a scalar is expected, and scalars where an array is', async () => {
    const a = await post(`${API}/file/history`, [['apikey[]', pdKey]]);
    expect(a.status).toBe(400);
    expect(a.type).toBe('text/html; charset=UTF-8');
    expect(a.text).toContain('Invalid input in field apikey');
    const m = await post(`${API}/file/create_multipaste`, [
      ['minimum-id-length[]', '5'],
      ['ids[]', 'x'],
      ['apikey', pdKey],
    ]);
    expect(m.json!.error_id).toBe('input/invalid-form-field');
    const ids = await post(`${API}/file/delete`, { ids: 'abc', apikey: pdKey });
    expect(ids.text).toBe(
      '{"status":"error","error_id":"input\\/invalid-form-field","message":"Invalid input","data":{"key":"ids","ret":"abc"}}',
    );
  });

  it('ignores an apikey in the query string and trims the POST one', async () => {
    const r = await fetch(`${server.url}${API}/file/history?apikey=${pdKey}`);
    expect(((await r.json()) as { error_id: string }).error_id).toBe('api/not-authenticated');
    expect((await post(`${API}/file/history`, { apikey: ` ${pdKey}\n` })).status).toBe(200);
  });

  it('minimum-id-length gives ids of exactly that length, up to 64', async () => {
    const [id] = await upload(pdKey, [['long.txt', 'long id\n']], { 'minimum-id-length': '42' });
    expect(id).toMatch(/^[A-Za-z0-9]{42}$/);
    expect(await (await fetch(`${server.url}/${id}`)).text()).toBe('long id\n');
    const mp = await post(`${API}/file/create_multipaste`, {
      'ids[]': id!,
      'minimum-id-length': '42',
      apikey: pdKey,
    });
    expect(mp.json!.data.url_id).toMatch(/^m-[A-Za-z0-9]{42}$/);
    const bad = await post(`${API}/file/upload`, { 'minimum-id-length': '65', apikey: pdKey }, [
      ['file', 'x.txt', 'x'],
    ]);
    expect(bad.json!.error_id).toBe('file/bad-minimum-id-length');
  });

  it('keeps MD5-colliding files apart and counts identical content once', async () => {
    const m1 = Buffer.from(
      '4dc968ff0ee35c209572d4777b721587d36fa7b21bdc56b74a3dc0783e7b9518afbfa200a8284bf36e8e4b55b35f427593d849676da0d1555d8360fb5f07fea2',
      'hex',
    );
    const m2 = Buffer.from(
      '4dc968ff0ee35c209572d4777b721587d36fa7b21bdc56b74a3dc0783e7b9518afbfa202a8284bf36e8e4b55b35f427593d849676da0d1d55d8360fb5f07fea2',
      'hex',
    );
    const fresh = await newKeyForNewUser('collide');
    const [a, b] = await upload(fresh, [
      ['m1.bin', m1],
      ['m2.bin', m2],
      ['m1-again.bin', m1],
    ]);
    expect(Buffer.from(await (await fetch(`${server.url}/${a}`)).arrayBuffer())).toEqual(m1);
    expect(Buffer.from(await (await fetch(`${server.url}/${b}`)).arrayBuffer())).toEqual(m2);
    const h = await post(`${API}/file/history`, { apikey: fresh });
    expect(h.json!.data.total_size).toBe('128');
    expect(h.json!.data.items[a!].hash).toBe(h.json!.data.items[b!].hash);
  });

  it('refuses more files than max_files_per_request', async () => {
    const files: [string, string, string][] = Array.from({ length: 21 }, (_, i) => [
      `file[${i}]`,
      `f${i}.txt`,
      `file ${i}`,
    ]);
    const r = await post(`${API}/file/upload`, { apikey: pdKey }, files);
    expect(r.json!.error_id).toBe('file/upload-verify');
    expect(r.json!.data.file.filename).toBe('f20.txt');
  });
});

describe('routing next to the other dialects', () => {
  it('owns /api/v… only', async () => {
    const r = await fetch(`${server.url}/api/v2.1.0/file/nonexistent`);
    expect(await r.text()).toBe(
      '{"status":"error","error_id":"api\\/unknown-endpoint","message":"Unknown endpoint requested"}',
    );
    const pd = await fetch(`${server.url}/api/nonexistent/thing`);
    expect(pd.status).toBe(404);
    expect(((await pd.json()) as { value: string }).value).toBe('invalid_endpoint');
    const info = await fetch(`${server.url}/api/file/zzzzzzzz/info`);
    expect(((await info.json()) as { value: string }).value).toBe('not_found');
    const php = await fetch(`${server.url}/index.php/api/v2.0.0/file/get_config`);
    expect(((await php.json()) as { status: string }).status).toBe('success');
  });
});

describe('pages', () => {
  it('never let an upload script our pages', async () => {
    const evil = '<script>alert(1)</script>\n';
    const [id] = await upload(pdKey, [['<img src=x onerror=alert(1)>.html', evil]]);
    const page = await fetch(`${server.url}/${id}/`);
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;');
    const raw = await fetch(`${server.url}/${id}`);
    expect(raw.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
    const info = await (await fetch(`${server.url}/${id}/info`)).text();
    expect(info).not.toContain('<img src=x');
  });

  it('serves the multipaste tarball with every file', async () => {
    const [a, b] = await upload(pdKey, [
      ['t1.txt', 'first\n'],
      ['t2.txt', 'second\n'],
    ]);
    const mp = await post(`${API}/file/create_multipaste`, {
      'ids[1]': a!,
      'ids[2]': b!,
      apikey: pdKey,
    });
    const mid = mp.json!.data.url_id as string;
    const r = await fetch(`${server.url}/${mid}/tar`);
    expect(r.headers.get('content-type')).toBe('application/x-gzip');
    const { gunzipSync } = await import('node:zlib');
    const tar = gunzipSync(Buffer.from(await r.arrayBuffer()));
    expect(tar.subarray(0, 6).toString()).toBe('t1.txt');
    expect(tar.subarray(512, 518).toString()).toBe('first\n');
    expect(tar.subarray(1024, 1030).toString()).toBe('t2.txt');
    expect(tar.length % 512).toBe(0);
  });
});

async function newKeyForNewUser(name: string): Promise<string> {
  const key = await createUserWithKey(server, name);
  return key;
}
