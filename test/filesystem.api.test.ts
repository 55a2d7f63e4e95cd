import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/core/moderation/audit.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

type Node = { type: string; path: string; name: string; link_permissions?: unknown };
type Stat = {
  path: Node[];
  base_index: number;
  children: Node[];
  permissions: Record<string, boolean>;
};

/** The filesystem API (spec §5) through HTTP, as clients call it. */
describe('filesystem API', () => {
  let server: TestServer;
  let key: string;
  let otherKey: string;
  const fs = (path: string) => `${server.url}/api/filesystem${path}`;
  const auth = (k = key) => ({ authorization: basic(k) });
  const form = (fields: Record<string, string>, k = key) => ({
    method: 'POST',
    headers: { ...auth(k), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const put = (path: string, body: string | Buffer, k = key) =>
    fetch(fs(path), { method: 'PUT', headers: auth(k), body: new Uint8Array(Buffer.from(body)) });
  const stat = async (path: string, k = key) => {
    const res = await fetch(fs(`${path}?stat`), { headers: auth(k) });
    return { status: res.status, body: (await res.json()) as Stat };
  };

  beforeAll(async () => {
    server = await startServer();
    key = await createUserWithKey(server, 'fsuser');
    otherKey = await createUserWithKey(server, 'fsother');
  });
  afterAll(() => server.close());

  it('needs credentials for /me', async () => {
    const res = await fetch(fs('/me?stat'));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, value: 'authentication_required' });
  });

  it('stats the empty root with bucket-prefixed paths', async () => {
    const { status, body } = await stat('/me');
    expect(status).toBe(200);
    expect(body.base_index).toBe(0);
    expect(body.path).toHaveLength(1);
    expect(body.path[0]).toMatchObject({ type: 'dir', path: '/me', name: 'me' });
    expect(body.children).toEqual([]);
    expect(body.permissions).toEqual({ owner: true, read: true, write: true, delete: true });
  });

  it('makes directories, refuses existing ones and missing parents', async () => {
    let res = await fetch(fs('/me/docs'), form({ action: 'mkdir' }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      success: true,
      value: 'created',
      message: 'The submitted resource was created',
    });
    res = await fetch(fs('/me/docs'), form({ action: 'mkdir' }));
    expect(res.status).toBe(400);
    expect((await res.json()).value).toBe('node_already_exists');
    res = await fetch(fs('/me/a/b/c'), form({ action: 'mkdir' }));
    expect(res.status).toBe(404);
    expect((await res.json()).value).toBe('path_not_found');
    res = await fetch(fs('/me/a/b/c'), form({ action: 'mkdirall' }));
    expect(res.status).toBe(201);
    const { body } = await stat('/me/a/b');
    expect(body.path.map((n: { path: string }) => n.path)).toEqual(['/me', '/me/a', '/me/a/b']);
    expect(body.base_index).toBe(2);
    expect(body.children.map((n: { name: string }) => n.name)).toEqual(['c']);
  });

  it('writes a file with its times and mode, reads it back with ranges', async () => {
    const modified = '2021-03-04T05:06:07.123456789Z';
    const res = await fetch(
      fs(`/me/docs/notes%20%231.txt?make_parents=true&modified=${modified}&mode=600`),
      { method: 'PUT', headers: auth(), body: 'hello filesystem' },
    );
    expect(res.status).toBe(200);
    const node = await res.json();
    expect(node).toMatchObject({
      type: 'file',
      path: '/me/docs/notes #1.txt',
      name: 'notes #1.txt',
      modified: '2021-03-04T05:06:07.123Z',
      mode_octal: '600',
      mode_string: '-rw-------',
      file_size: 16,
      file_type: 'text/plain; charset=utf-8',
      created_by: 'fsuser',
      sha256_sum: createHash('sha256').update('hello filesystem').digest('hex'),
    });
    const get = await fetch(fs('/me/docs/notes%20%231.txt'), {
      headers: { ...auth(), range: 'bytes=6-15' },
    });
    expect(get.status).toBe(206);
    expect(await get.text()).toBe('filesystem');
    const attach = await fetch(fs('/me/docs/notes%20%231.txt?attach'), { headers: auth() });
    expect(attach.headers.get('content-disposition')).toMatch(/^attachment/);
    await attach.arrayBuffer();
  });

  it('overwrites a file, and keeps a directory from being written over', async () => {
    expect((await put('/me/docs/over.txt', 'one')).status).toBe(200);
    const again = await put('/me/docs/over.txt', 'two two');
    expect((await again.json()).file_size).toBe(7);
    expect(await (await fetch(fs('/me/docs/over.txt'), { headers: auth() })).text()).toBe(
      'two two',
    );
    const onDir = await put('/me/docs', 'x');
    expect(onDir.status).toBe(400);
    expect((await onDir.json()).value).toBe('node_is_a_directory');
    const under = await put('/me/docs/over.txt/inner.txt?make_parents=true', 'x');
    expect(under.status).toBe(400);
    expect((await under.json()).value).toBe('node_is_not_a_directory');
  });

  it('refuses names, paths and depths over the limits', async () => {
    const long = 'n'.repeat(256);
    let res = await put(`/me/${long}`, 'x');
    expect(res.status).toBe(422);
    expect((await res.json()).value).toBe('name_too_long');
    const deep = Array.from({ length: 65 }, () => 'd').join('/');
    res = await fetch(fs(`/me/${deep}`), form({ action: 'mkdirall' }));
    expect(res.status).toBe(422);
    expect((await res.json()).value).toBe('too_many_nested_levels');
    const longPath = Array.from({ length: 20 }, () => 'p'.repeat(250)).join('/');
    res = await fetch(fs(`/me/${longPath}`), form({ action: 'mkdirall' }));
    expect(res.status).toBe(422);
    expect((await res.json()).value).toBe('path_too_long');
    // Sent as is (fetch would resolve the dots before sending).
    const raw = await rawRequest(server.url, 'PUT', '/api/filesystem/me/%2E%2E', key);
    expect(raw.status).toBe(422);
    expect(JSON.parse(raw.body).value).toBe('invalid_path');
    res = await fetch(fs('/me/docs'), form({ action: 'rename', target: '/me/../x' }));
    expect((await res.json()).value).toBe('invalid_path');
  });

  it('renames within the tree, refusing a move into its own child', async () => {
    await fetch(fs('/me/mv/src/deep'), form({ action: 'mkdirall' }));
    await put('/me/mv/src/deep/f.txt', 'moving');
    let res = await fetch(
      fs('/me/mv/src'),
      form({ action: 'rename', target: '/me/mv/dst/moved', make_parents: 'true' }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      type: 'dir',
      path: '/me/mv/dst/moved',
      name: 'moved',
    });
    expect(await (await fetch(fs('/me/mv/dst/moved/deep/f.txt'), { headers: auth() })).text()).toBe(
      'moving',
    );
    expect((await stat('/me/mv/src')).status).toBe(404);
    res = await fetch(fs('/me/mv/dst'), form({ action: 'rename', target: '/me/mv/dst/moved/x' }));
    expect(res.status).toBe(400);
    expect((await res.json()).value).toBe('circular_dependency');
    res = await fetch(fs('/me'), form({ action: 'rename', target: '/me/x' }));
    expect((await res.json()).value).toBe('cannot_modify_root_dir');
  });

  it('deletes files, and directories only recursively when not empty', async () => {
    await put('/me/del/a/b.txt?make_parents=true', 'b');
    let res = await fetch(fs('/me/del'), { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(400);
    expect((await res.json()).value).toBe('directory_not_empty');
    res = await fetch(fs('/me/del?recursive=true'), { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(200);
    expect((await res.json()).value).toBe('ok');
    expect((await stat('/me/del/a/b.txt')).status).toBe(404);
    res = await fetch(fs('/me'), { method: 'DELETE', headers: auth() });
    expect((await res.json()).value).toBe('cannot_modify_root_dir');
  });

  it('stores identical content once across files and nodes, and frees it with the last', async () => {
    const bytes = Buffer.alloc(100_000, 7);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const db = server.app.runtime.db;
    const refs = async () =>
      (await db.selectFrom('blobs').select('refcount').where('key', '=', sha).executeTakeFirst())
        ?.refcount;
    const up = await fetch(`${server.url}/api/file/same.bin`, {
      method: 'PUT',
      headers: auth(),
      body: new Uint8Array(bytes),
    });
    const { id } = (await up.json()) as { id: string };
    await put('/me/same1.bin', bytes);
    await put('/me/same2.bin', bytes);
    expect(Number(await refs())).toBe(3);
    await fetch(`${server.url}/api/file/${id}`, { method: 'DELETE', headers: auth() });
    await fetch(fs('/me/same1.bin'), { method: 'DELETE', headers: auth() });
    expect(Number(await refs())).toBe(1);
    expect(await (await fetch(fs('/me/same2.bin'), { headers: auth() })).arrayBuffer()).toEqual(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    await fetch(fs('/me/same2.bin'), { method: 'DELETE', headers: auth() });
    expect(await refs()).toBeUndefined();
  });

  it('releases the blobs of a recursive delete by how many references each loses', async () => {
    const db = server.app.runtime.db;
    const blobs = server.app.runtime.blobs;
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    // Over the inline size: each content is a stored object.
    const [a, b, c] = [randomBytes(20_000), randomBytes(20_000), randomBytes(20_000)];
    const row = (b: Buffer) =>
      db
        .selectFrom('blobs')
        .select(['refcount', 'location'])
        .where('key', '=', sha(b))
        .executeTakeFirst();
    expect((await put('/me/rel/x/a1.bin?make_parents=true', a)).status).toBe(200);
    await put('/me/rel/x/a2.bin', a);
    await put('/me/keep-a.bin', a);
    await put('/me/rel/b1.bin', b);
    await put('/me/rel/x/b2.bin', b);
    await put('/me/rel/c.bin', c);
    expect(Number((await row(a))?.refcount)).toBe(3);
    const gone = [(await row(b))!.location, (await row(c))!.location];
    for (const loc of gone) expect(await blobs.stat(loc)).not.toBeNull();

    const res = await fetch(fs('/me/rel?recursive=true'), { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(200);
    // a loses two of its three references; b both of its own, c its only one.
    expect(Number((await row(a))?.refcount)).toBe(1);
    expect(await row(b)).toBeUndefined();
    expect(await row(c)).toBeUndefined();
    for (const loc of gone) expect(await blobs.stat(loc)).toBeNull();
    const kept = await fetch(fs('/me/keep-a.bin'), { headers: auth() });
    expect(Buffer.from(await kept.arrayBuffer()).equals(a)).toBe(true);
  });

  it('answers a delete freeing hundreds of blobs at once, their bytes removed behind it', async () => {
    const db = server.app.runtime.db;
    const blobs = server.app.runtime.blobs;
    const contents = Array.from({ length: 300 }, () => randomBytes(17_000));
    await fetch(fs('/me/many'), form({ action: 'mkdir' }));
    for (let i = 0; i < contents.length; i += 20) {
      await Promise.all(contents.slice(i, i + 20).map((c, j) => put(`/me/many/f${i + j}.bin`, c)));
    }
    const keys = contents.map((c) => createHash('sha256').update(c).digest('hex'));
    const locations = (
      await db.selectFrom('blobs').select('location').where('key', 'in', keys).execute()
    ).map((r) => r.location);
    expect(locations).toHaveLength(300);
    const res = await fetch(fs('/me/many?recursive=true'), { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(200);
    // The rows went with the answer; the bytes by the time the service has settled.
    expect(await db.selectFrom('blobs').select('key').where('key', 'in', keys).execute()).toEqual(
      [],
    );
    await server.app.runtime.core.filesystem.close();
    for (const loc of locations) expect(await blobs.stat(loc)).toBeNull();
  });

  it('shares a directory by id: readable by anyone, writable by no stranger', async () => {
    await put('/me/pub/sub/b.txt?make_parents=true', 'shared bytes');
    const res = await fetch(fs('/me/pub'), form({ action: 'update', shared: 'true' }));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[A-Za-z0-9]{8}$/);
    const anon = await fetch(fs(`/${id}/sub?stat`));
    const body = (await anon.json()) as Stat;
    expect(body.path.map((n: { path: string }) => n.path)).toEqual([`/${id}`, `/${id}/sub`]);
    expect(body.children[0]).toMatchObject({ path: `/${id}/sub/b.txt`, name: 'b.txt' });
    expect(body.children[0]?.link_permissions).toBeUndefined();
    expect(body.permissions).toEqual({ owner: false, read: true, write: false, delete: false });
    expect(await (await fetch(fs(`/${id}/sub/b.txt`))).text()).toBe('shared bytes');
    const write = await put(`/${id}/sub/evil.txt`, 'x', otherKey);
    expect(write.status).toBe(400);
    expect((await write.json()).value).toBe('permission_denied');
    const del = await fetch(fs(`/${id}/sub/b.txt`), { method: 'DELETE' });
    expect((await del.json()).value).toBe('permission_denied');
    // Outside the share: not reachable through it.
    const out = await rawRequest(server.url, 'GET', `/api/filesystem/${id}/../docs?stat`);
    expect(JSON.parse(out.body).value).toBe('invalid_path');
    expect((await fetch(fs('/Nope1234?stat'))).status).toBe(404);
    // Unshared: gone for strangers.
    await fetch(fs('/me/pub'), form({ action: 'update', shared: 'false' }));
    expect((await fetch(fs(`/${id}?stat`))).status).toBe(404);
  });

  it('gives a share password and named users the rights their permission objects say', async () => {
    await fetch(fs('/me/team'), form({ action: 'mkdir' }));
    const res = await fetch(
      fs('/me/team'),
      form({
        action: 'update',
        shared: 'true',
        link_permissions: JSON.stringify({ read: false }),
        user_permissions: JSON.stringify({ fsother: { read: true, write: true } }),
        password_permissions: JSON.stringify({ hunter2: { read: true } }),
      }),
    );
    const { id } = (await res.json()) as { id: string };
    expect((await fetch(fs(`/${id}?stat`))).status).toBe(404);
    const withPassword = await fetch(fs(`/${id}?stat`), {
      headers: { authorization: basic('hunter2') },
    });
    expect(((await withPassword.json()) as Stat).permissions).toMatchObject({
      read: true,
      write: false,
    });
    const byOther = await put(`/${id}/from-other.txt`, 'hi', otherKey);
    expect(byOther.status).toBe(200);
    expect(await byOther.json()).toMatchObject({ path: `/${id}/from-other.txt` });
    const bad = await fetch(
      fs('/me/team'),
      form({ action: 'update', user_permissions: JSON.stringify({ nobody_here: { read: true } }) }),
    );
    expect((await bad.json()).value).toBe('user_not_found');
    const json = await fetch(fs('/me/team'), form({ action: 'update', link_permissions: '{' }));
    expect(json.status).toBe(422);
    expect((await json.json()).value).toBe('json_parse_failed');
  });

  it('lists buckets, searches names and logs changes', async () => {
    const buckets = (await (await fetch(fs(''), { headers: auth() })).json()) as { path: string }[];
    expect(buckets[0]).toMatchObject({ path: '/me', name: 'me' });
    await put('/me/find/Holiday-Photo.jpg?make_parents=true', 'jpg');
    const found = await fetch(fs('/me/find?search=photo'), { headers: auth() });
    expect(await found.json()).toEqual(['/me/find/Holiday-Photo.jpg']);
    const short = await fetch(fs('/me/find?search=p'), { headers: auth() });
    expect((await short.json()).value).toBe('search_term_too_short');
    const log = await fetch(
      fs(`/me?change_log&start=${new Date(Date.now() - 60_000).toISOString()}`),
      {
        headers: auth(),
      },
    );
    const entries = (await log.json()) as { path: string; action: string; type: string }[];
    expect(entries).toContainEqual(
      expect.objectContaining({
        path: '/find/Holiday-Photo.jpg',
        action: 'created',
        type: 'file',
      }),
    );
    const tooLong = await fetch(fs('/me?change_log&start=2020-01-01T00:00:00Z'), {
      headers: auth(),
    });
    expect((await tooLong.json()).value).toBe('log_timespan_too_long');
  });

  it('imports uploaded files by id and zips a directory', async () => {
    const up = await fetch(`${server.url}/api/file/imported.txt`, {
      method: 'PUT',
      headers: auth(),
      body: 'from the file API',
    });
    const { id } = (await up.json()) as { id: string };
    await fetch(fs('/me/zipme/inner'), form({ action: 'mkdirall' }));
    let res = await fetch(fs('/me/zipme'), form({ action: 'import', files: JSON.stringify([id]) }));
    expect(res.status).toBe(201);
    await put('/me/zipme/inner/x.txt', 'xx');
    expect(await (await fetch(fs('/me/zipme/imported.txt'), { headers: auth() })).text()).toBe(
      'from the file API',
    );
    res = await fetch(fs('/me/zipme'), form({ action: 'import', files: '["nope0000"]' }));
    expect((await res.json()).value).toBe('list_file_not_found');
    const zip = await fetch(fs('/me/zipme?bulk_download'), { headers: auth() });
    expect(zip.status).toBe(200);
    const buf = Buffer.from(await zip.arrayBuffer());
    expect(buf.subarray(0, 2).toString()).toBe('PK');
    expect(buf.includes(Buffer.from('inner/x.txt'))).toBe(true);
    expect(buf.includes(Buffer.from('imported.txt'))).toBe(true);
  });

  it('answers invalid actions and keeps each tree private to its owner', async () => {
    const res = await fetch(fs('/me'), form({ action: 'explode' }));
    expect(res.status).toBe(422);
    expect((await res.json()).value).toBe('invalid_action');
    const mine = await stat('/me', otherKey);
    const names = mine.body.children.map((n: { name: string }) => n.name);
    expect(names).not.toContain('docs');
  });
});

/** A request whose path is sent exactly as written (no dot-segment resolution). */
function rawRequest(
  base: string,
  method: string,
  path: string,
  key?: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: key ? { authorization: basic(key), 'content-length': '1' } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(key ? 'x' : undefined);
  });
}

describe('filesystem API: writable shares', () => {
  it('let anyone with the link write where anonymous uploads are accepted, else only accounts', async () => {
    for (const allowAnonymousUploads of [true, false]) {
      const server = await startServer({ allowAnonymousUploads });
      try {
        const key = await createUserWithKey(server, 'sharer');
        const friend = await createUserWithKey(server, 'friend');
        const fs = (path: string) => `${server.url}/api/filesystem${path}`;
        await fetch(fs('/me/drop'), {
          method: 'POST',
          headers: { authorization: basic(key) },
          body: new URLSearchParams({ action: 'mkdir' }),
        });
        const shared = await fetch(fs('/me/drop'), {
          method: 'POST',
          headers: { authorization: basic(key) },
          body: new URLSearchParams({
            action: 'update',
            shared: 'true',
            link_permissions: JSON.stringify({ read: true, write: true }),
          }),
        });
        const { id } = (await shared.json()) as { id: string };
        const anon = await fetch(fs(`/${id}/anon.txt`), { method: 'PUT', body: 'anon' });
        expect(anon.status).toBe(allowAnonymousUploads ? 200 : 401);
        const named = await fetch(fs(`/${id}/named.txt`), {
          method: 'PUT',
          headers: { authorization: basic(friend) },
          body: 'named',
        });
        expect(named.status).toBe(200);
        const list = await fetch(fs('/me/drop?stat'), { headers: { authorization: basic(key) } });
        const names = ((await list.json()) as Stat).children.map((n) => n.name);
        expect(names).toEqual(allowAnonymousUploads ? ['anon.txt', 'named.txt'] : ['named.txt']);
      } finally {
        await server.close();
      }
    }
  });
});

describe('filesystem API: blocked content', () => {
  it('is served to admins only, as a file, a thumbnail or in a zip', async () => {
    const server = await startServer();
    try {
      const key = await createUserWithKey(server, 'holder');
      const admin = await createUserWithKey(server, 'boss', { admin: true });
      const fs = (path: string) => `${server.url}/api/filesystem${path}`;
      const body = 'bytes an admin will block';
      await fetch(fs('/me/box/bad.txt?make_parents=true'), {
        method: 'PUT',
        headers: { authorization: basic(key) },
        body,
      });
      const sha = createHash('sha256').update(body).digest('hex');
      await server.app.runtime.core.blocks.blockHash(sha, 'test', CLI_ACTOR);
      for (const q of ['', '?thumbnail']) {
        const res = await fetch(fs(`/me/box/bad.txt${q}`), {
          headers: { authorization: basic(key) },
        });
        expect(res.status).toBe(451);
        expect((await res.json()).value).toBe('unavailable_for_legal_reasons');
      }
      const zip = await fetch(fs('/me/box?bulk_download'), {
        headers: { authorization: basic(key) },
      });
      expect(zip.status).toBe(451);
      await zip.arrayBuffer();
      // The stat still lists it: its owner can see and delete what was taken down.
      const stat = await fetch(fs('/me/box?stat'), { headers: { authorization: basic(key) } });
      expect(((await stat.json()) as Stat).children.map((n) => n.name)).toEqual(['bad.txt']);
      const shared = await fetch(fs('/me/box'), {
        method: 'POST',
        headers: { authorization: basic(key) },
        body: new URLSearchParams({ action: 'update', shared: 'true' }),
      });
      const { id } = (await shared.json()) as { id: string };
      const byAdmin = await fetch(fs(`/${id}/bad.txt`), {
        headers: { authorization: basic(admin) },
      });
      expect(await byAdmin.text()).toBe(body);
    } finally {
      await server.close();
    }
  });
});

describe('filesystem API: download rules', () => {
  it('apply the per-IP download limit to strangers downloading shared nodes, not to the owner', async () => {
    const server = await startServer({ ipDownloadLimit: 2 });
    try {
      const key = await createUserWithKey(server, 'sharer');
      const fs = (path: string) => `${server.url}/api/filesystem${path}`;
      const owner = { authorization: basic(key) };
      await fetch(fs('/me/pub/a.txt?make_parents=true'), {
        method: 'PUT',
        headers: owner,
        body: 'a',
      });
      const shared = await fetch(fs('/me/pub'), {
        method: 'POST',
        headers: owner,
        body: new URLSearchParams({ action: 'update', shared: 'true' }),
      });
      const { id } = (await shared.json()) as { id: string };
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(fs(`/${id}/a.txt`));
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 403]);
      const refused = await fetch(fs(`/${id}/a.txt`));
      expect((await refused.json()).value).toBe('ip_download_limited_captcha_required');
      const zip = await fetch(fs(`/${id}?bulk_download`));
      expect(zip.status).toBe(403);
      await zip.arrayBuffer();
      const own = await fetch(fs('/me/pub/a.txt'), { headers: owner });
      expect(own.status).toBe(200);
      expect(await own.text()).toBe('a');
      // Counted: the two strangers' downloads and the owner's, for the file and its directory.
      const stats = { downloads: 3, transfer_free: 3, transfer_paid: 0 };
      expect(
        await (await fetch(fs('/me/pub/a.txt?download_stats'), { headers: owner })).json(),
      ).toEqual(stats);
      expect(await (await fetch(fs(`/${id}?download_stats`))).json()).toEqual(stats);
      // Written to the node's row when the service stops (else every few seconds).
      await server.app.runtime.core.filesystem.close();
      const row = await server.app.runtime.db
        .selectFrom('fs_nodes')
        .select(['downloads', 'transfer'])
        .where('name', '=', 'a.txt')
        .executeTakeFirstOrThrow();
      expect([Number(row.downloads), Number(row.transfer)]).toEqual([3, 3]);
    } finally {
      await server.close();
    }
  });
});
