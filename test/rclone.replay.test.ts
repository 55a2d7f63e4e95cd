/**
 * rclone's pixeldrain backend, replayed call by call against Stowage's filesystem API (spec §5).
 *
 * rclone read: v1.75.0-121-g64ab1ac32 (commit 64ab1ac32260, 2026-08-21), files
 * backend/pixeldrain/{api_client.go,pixeldrain.go} (last changed in 72907a7a9, 2026-07-14), with
 * lib/rest, fs/sync, fs/operations and cmd for the command flows. The replay is in test/rclone/:
 * every request is the one rclone sends (path components `url.PathEscape`d under
 * `/api/filesystem/` + root_folder_id (default `me`) + the remote's root, query sorted as
 * `url.Values.Encode`, Basic auth with an empty user and the key as password, multipart forms for
 * POST, chunked raw bodies for PUT), and every answer is decoded as Go decodes it into rclone's
 * structs. Assertions are on what rclone reads: 2xx or not, the error `value`, and the node
 * fields type, path (prefix stripped), name, file_size, modified (ms), sha256_sum, mode_octal, id.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startServer, tempDir, type TestServer } from './helpers.js';
import { lsjson, rcloneCopy, readLocalTree, walk, type LocalTree } from './rclone/commands.js';
import { answer, ms, nodeNs, trace, writeTree } from './rclone/fixture.js';
import { formatRFC3339Nano, queryEscape, truncateMs } from './rclone/go.js';
import { PixeldrainFs, RcloneError, base, type Options } from './rclone/pixeldrain.js';

const SPECIAL = 'sp ace #?%.txt';
const RESERVED = 'plus+semi;comma,=@&$.txt';
const UNICODE = 'ünïcødé ✓ 日本.txt';
const BIG = randomBytes(70 * 1024);

const FILES: [string, Buffer | string, string][] = [
  ['top.txt', 'hello top\n', '2024-05-06T07:08:09.123456Z'],
  ['empty.txt', '', '2023-01-02T03:04:05.5Z'],
  // .9996 s: a server that rounds instead of truncating would report the next second.
  ['a/one.txt', 'one\n', '2024-05-06T07:08:09.999600Z'],
  ['a/b/two.bin', BIG, '2022-02-03T04:05:06.000001Z'],
  [`a/${UNICODE}`, 'unicode\n', '2021-07-08T09:10:11.987654Z'],
  [`a/${SPECIAL}`, 'special\n', '2020-01-01T00:00:00Z'],
  [`a/${RESERVED}`, 'reserved\n', '2019-12-31T23:59:59.5Z'],
];
const DIRS: [string, string][] = [
  ['a', '2018-03-04T05:06:07.654321Z'],
  ['a/b', '2018-03-04T05:06:08.111111Z'],
  ['a/empty-dir', '2018-01-01T00:00:00.25Z'],
];

let server: TestServer;
let key: string;
let opt: Options;
let local: LocalTree;
let localDir: string;

async function rejection(p: Promise<unknown>): Promise<RcloneError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof RcloneError))
    throw new Error(`expected an rclone error, got ${String(err)}`);
  return err;
}

beforeAll(async () => {
  server = await startServer();
  key = await createUserWithKey(server, 'rcloner');
  opt = { apiURL: server.url + '/api', apiKey: key };
  localDir = await tempDir('rclone-src-');
  await writeTree(localDir, FILES, DIRS);
  local = await readLocalTree(localDir, 0);
});

afterAll(async () => {
  await server?.close();
  if (localDir) await fs.rm(localDir, { recursive: true, force: true });
});

describe('rclone pixeldrain backend replay', () => {
  it('NewFs and `rclone about`: GET /api/user (Basic ":key"), then ?stat of the root', async () => {
    const { f } = await PixeldrainFs.newFs(opt, '');
    expect(trace(f)).toEqual(['GET /api/user 2xx', 'GET /api/filesystem/me/?stat= 2xx']);
    const user = answer(f, 'GET /api/user');
    expect(user.username).toBe('rcloner');
    expect(user).toMatchObject({
      subscription: { name: expect.any(String), storage_space: 20 * 1000 ** 3 },
    });
    expect(Number.isSafeInteger(user.storage_space_used)).toBe(true);
    expect(base(await f.stat(''))).toMatchObject({ type: 'dir', path: '/me' });
    // About: Used = storage_space_used, Total = storage_space as it is > -1.
    expect(await f.about()).toEqual({ used: user.storage_space_used, total: 20 * 1000 ** 3 });

    const bad = await rejection(PixeldrainFs.newFs({ ...opt, apiKey: randomUUID() }, ''));
    expect(bad.kind).toBe('errAuthenticationFailed');
    expect(bad.call?.status).toBe(401);
  });

  it('`rclone mkdir remote:mk/sub` posts mkdirall on the root with a trailing slash; again is no error', async () => {
    const { f } = await PixeldrainFs.newFs(opt, 'mk/sub');
    await f.mkdir('');
    expect(trace(f)).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/mk/sub/?stat= 404 path_not_found',
      'POST /api/filesystem/me/mk/sub/ 2xx',
    ]);
    const again = (await PixeldrainFs.newFs(opt, 'mk/sub')).f;
    expect(base(await again.stat(''))).toMatchObject({
      type: 'dir',
      path: '/me/mk/sub',
      name: 'sub',
    });
    // mkdirall on an existing directory: 2xx or node_already_exists, both success for rclone.
    await again.mkdir('');
    const last = again.calls.at(-1)!;
    expect(
      last.status < 300 || (last.json as { value?: string }).value === 'node_already_exists',
    ).toBe(true);

    // `rclone mkdir remote:` (the bucket root): mkdirall on /me/ must not fail.
    const top = (await PixeldrainFs.newFs(opt, '')).f;
    await top.mkdir('');
    expect(trace(top).at(-1)).toMatch(
      /^POST \/api\/filesystem\/me\/ (2xx|400 node_already_exists)$/,
    );

    const special = (await PixeldrainFs.newFs(opt, 'mk/spé cial #?%')).f;
    await special.mkdir('');
    expect(trace(special).slice(1)).toEqual([
      'GET /api/filesystem/me/mk/sp%C3%A9%20cial%20%23%3F%25/?stat= 404 path_not_found',
      'POST /api/filesystem/me/mk/sp%C3%A9%20cial%20%23%3F%25/ 2xx',
    ]);
    const parent = (await PixeldrainFs.newFs(opt, 'mk')).f;
    const entries = await parent.list('');
    expect(entries.map((e) => (e.dir ? e.remote : '(file)')).sort()).toEqual([
      'spé cial #?%',
      'sub',
    ]);
  });

  it('`rclone copy` of a tree: PUT ?make_parents=true&modified=, size+SHA-256 checks, dir mtimes deepest first', async () => {
    const r = await rcloneCopy(opt, local, 'tree');
    expect(r.errors).toEqual([]);
    const lines = trace(r.f).map((l) => l.replace(/modified=[^& ]+/, 'modified=<mtime>'));
    expect(lines).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/tree/?stat= 404 path_not_found',
      'GET /api/filesystem/me/tree/?stat= 404 path_not_found',
      'PUT /api/filesystem/me/tree/empty.txt?make_parents=true&modified=<mtime> 2xx',
      'PUT /api/filesystem/me/tree/top.txt?make_parents=true&modified=<mtime> 2xx',
      'PUT /api/filesystem/me/tree/a/one.txt?make_parents=true&modified=<mtime> 2xx',
      'PUT /api/filesystem/me/tree/a/plus+semi%3Bcomma%2C=@&$.txt?make_parents=true&modified=<mtime> 2xx',
      'PUT /api/filesystem/me/tree/a/sp%20ace%20%23%3F%25.txt?make_parents=true&modified=<mtime> 2xx',
      'PUT /api/filesystem/me/tree/a/%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%E2%9C%93%20%E6%97%A5%E6%9C%AC.txt?make_parents=true&modified=<mtime> 2xx',
      'PUT /api/filesystem/me/tree/a/b/two.bin?make_parents=true&modified=<mtime> 2xx',
      'POST /api/filesystem/me/tree/a/b 2xx',
      'POST /api/filesystem/me/tree/a 2xx',
    ]);
    // The mtimes as rclone formats them (RFC3339Nano: no trailing zeros, no fraction if none).
    const urls = r.f.calls.map((c) => c.url);
    expect(urls).toContain(
      '/api/filesystem/me/tree/a/sp%20ace%20%23%3F%25.txt?make_parents=true&modified=2020-01-01T00%3A00%3A00Z',
    );
    expect(urls).toContain(
      '/api/filesystem/me/tree/a/plus+semi%3Bcomma%2C=@&$.txt?make_parents=true&modified=2019-12-31T23%3A59%3A59.5Z',
    );
    for (const file of local.files) {
      const put = r.f.calls.find(
        (c) =>
          c.method === 'PUT' &&
          c.url.includes(`modified=${queryEscape(formatRFC3339Nano(file.mtime))}`),
      );
      expect(put, file.remote).toBeDefined();
      const node = put!.json as Record<string, unknown>;
      expect(node, file.remote).toMatchObject({
        type: 'file',
        path: '/me/tree/' + file.remote,
        name: file.remote.split('/').at(-1),
        file_size: file.data.length,
        sha256_sum: file.sha256,
        mode_octal: '644',
      });
      expect(ms({ ns: nodeNs(node.modified), offsetMin: 0 }), file.remote).toBe(ms(file.mtime));
    }
    for (const dir of ['a/b', 'a']) {
      const node = answer(r.f, `POST /api/filesystem/me/tree/${dir}`);
      expect(node).toMatchObject({ type: 'dir', path: `/me/tree/${dir}` });
      expect(nodeNs(node.modified)).toBe(ms(local.dirs.find((d) => d.remote === dir)!.mtime));
    }

    // A second `rclone copy` lists the destination and finds every size and mtime equal (1 ms).
    const again = await rcloneCopy(opt, local, 'tree');
    expect({
      errors: again.errors,
      up: again.uploaded.length,
      set: again.modTimesSet,
      dirs: again.dirModTimesSet,
    }).toEqual({ errors: [], up: 0, set: [], dirs: [] });
    expect(trace(again.f).slice(1)).toEqual([
      'GET /api/filesystem/me/tree/?stat= 2xx',
      'GET /api/filesystem/me/tree/?stat= 2xx',
      'GET /api/filesystem/me/tree/a?stat= 2xx',
      'GET /api/filesystem/me/tree/a/b?stat= 2xx',
    ]);
  });

  it('`rclone copy` of a changed file: Object.Update PUTs over it with the ms-truncated mtime', async () => {
    await rcloneCopy(opt, local, 'upd');
    const data = Buffer.from('one, longer now\n');
    const sha256 = createHash('sha256').update(data).digest('hex');
    const changed: LocalTree = {
      dirs: local.dirs,
      files: local.files.map((x) =>
        x.remote === 'a/one.txt'
          ? { ...x, data, sha256, mtime: { ns: x.mtime.ns + 86_400_000_123_456n, offsetMin: 0 } }
          : x,
      ),
    };
    const file = changed.files.find((x) => x.remote === 'a/one.txt')!;
    const r = await rcloneCopy(opt, changed, 'upd');
    expect(r.errors).toEqual([]);
    expect(r.uploaded.map((o) => o.base.path)).toEqual(['a/one.txt']);
    const put = r.f.calls.find((c) => c.method === 'PUT')!;
    expect(put.url).toBe(
      `/api/filesystem/me/upd/a/one.txt?make_parents=true&modified=${queryEscape(formatRFC3339Nano(truncateMs(file.mtime)))}`,
    );
    expect(put.json).toMatchObject({
      path: '/me/upd/a/one.txt',
      file_size: file.data.length,
      sha256_sum: file.sha256,
    });
    const entries = await r.f.list('a');
    const ones = entries.filter((e) => !e.dir && e.object.base.path === 'a/one.txt');
    expect(ones).toHaveLength(1);
    expect(ones[0]!.dir ? null : ones[0]!.object.base.modified?.ns).toBe(ms(file.mtime));

    // Same size and SHA-256, another mtime: equal() sets the mtime (POST action=update modified=).
    const newer = {
      ns: local.files.find((x) => x.remote === 'top.txt')!.mtime.ns + 5_000_000_007n,
      offsetMin: 0,
    };
    const touched: LocalTree = {
      dirs: local.dirs,
      files: changed.files.map((x) => (x.remote === 'top.txt' ? { ...x, mtime: newer } : x)),
    };
    const t = await rcloneCopy(opt, touched, 'upd');
    expect([t.errors, t.uploaded.length, t.modTimesSet]).toEqual([[], 0, ['top.txt']]);
    expect(trace(t.f).filter((l) => !l.startsWith('GET'))).toEqual([
      'POST /api/filesystem/me/upd/top.txt 2xx',
    ]);
    const set = answer(t.f, 'POST');
    expect(set).toMatchObject({ type: 'file', path: '/me/upd/top.txt', file_size: 10 });
    expect(nodeNs(set.modified)).toBe(ms(newer));
    expect((await t.f.newObject('top.txt')).base.modified?.ns).toBe(ms(newer));
  });

  it('names are kept byte for byte: a literal %2F, NFC and NFD, a 4-byte emoji, a dot file', async () => {
    const { f } = await PixeldrainFs.newFs(opt, 'names');
    const names = [
      'a%2Fb%20c.txt',
      'caf\u00e9.txt',
      'cafe\u0301.txt',
      'emoji \u{1F600}.txt',
      '.hidden',
      'x..y',
    ];
    for (const [i, name] of names.entries()) {
      const o = await f.put(name, Buffer.from(`n${i}`), {
        ns: 1_600_000_000_000_000_000n,
        offsetMin: 0,
      });
      expect(answer(f, 'PUT'), name).toMatchObject({
        type: 'file',
        path: `/me/names/${name}`,
        name,
        file_size: 2,
      });
      expect(o.base.path).toBe(name);
    }
    expect(f.calls.find((c) => c.method === 'PUT')!.url).toBe(
      '/api/filesystem/me/names/a%252Fb%2520c.txt?make_parents=true&modified=2020-09-13T12%3A26%3A40Z',
    );
    expect(
      (await f.list('')).map((e) => (e.dir ? `${e.remote}/` : e.object.base.path)).sort(),
    ).toEqual([...names].sort());
    for (const [i, name] of names.entries()) {
      expect((await f.read((await f.newObject(name)).base.path)).bytes.toString(), name).toBe(
        `n${i}`,
      );
    }
  });

  it('`rclone ls` / `lsjson -R` / `hashsum sha256`: one ?stat per directory, paths stripped of /me/<root>/', async () => {
    await rcloneCopy(opt, local, 'ls');
    const { f } = await PixeldrainFs.newFs(opt, 'ls');
    const entries = await walk(f);
    expect(trace(f).slice(2)).toEqual([
      'GET /api/filesystem/me/ls/?stat= 2xx',
      'GET /api/filesystem/me/ls/a?stat= 2xx',
      'GET /api/filesystem/me/ls/a/b?stat= 2xx',
    ]);
    const sub = answer(f, 'GET /api/filesystem/me/ls/a?stat=') as unknown as {
      path: unknown[];
      base_index: number;
    };
    expect(sub.path[sub.base_index]).toMatchObject({ type: 'dir', path: '/me/ls/a', name: 'a' });
    const expected = [
      ...local.files.map((x) => ({
        Path: x.remote,
        Name: x.remote.split('/').at(-1),
        Size: x.data.length,
        MimeType: expect.any(String),
        ModTime: formatRFC3339Nano(truncateMs({ ns: x.mtime.ns, offsetMin: 0 })),
        IsDir: false,
      })),
      ...['a', 'a/b'].map((d) => ({
        Path: d,
        Name: d.split('/').at(-1),
        Size: -1,
        MimeType: 'inode/directory',
        ModTime: expect.any(String),
        IsDir: true,
      })),
    ].sort((a, b) => (a.Path < b.Path ? -1 : 1));
    expect(lsjson(entries)).toEqual(expected);
    // `rclone ls`: size and path of every object.
    const ls = entries.flatMap((e) =>
      e.dir ? [] : [`${String(e.object.base.fileSize).padStart(9)} ${e.object.base.path}`],
    );
    expect(ls.sort()).toEqual(
      local.files.map((x) => `${String(x.data.length).padStart(9)} ${x.remote}`).sort(),
    );
    // `rclone hashsum sha256` reads sha256_sum from the listing.
    for (const e of entries)
      if (!e.dir)
        expect(e.object.base.sha256, e.object.base.path).toBe(
          local.files.find((x) => x.remote === e.object.base.path)!.sha256,
        );

    const missing = await rejection((await PixeldrainFs.newFs(opt, 'nope')).f.list(''));
    expect(missing.kind).toBe('ErrorDirNotFound');
    expect(missing.call?.status).toBe(404);
  });

  it('`rclone cat remote:ls/top.txt` (NewFs on a file: ?stat with a trailing slash → ErrorIsFile), with --offset/--count', async () => {
    await rcloneCopy(opt, local, 'cat');
    const { f, isFile } = await PixeldrainFs.newFs(opt, 'cat/top.txt');
    expect(trace(f)).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/cat/top.txt/?stat= 2xx',
    ]);
    expect(isFile).toBe(true);
    expect(f.pathPrefix).toBe('/me/cat/');
    const o = await f.newObject('top.txt');
    expect(o.base).toMatchObject({ path: 'top.txt', fileSize: 10 });
    expect((await f.read(o.base.path)).bytes.toString()).toBe('hello top\n');
    const part = await f.read(o.base.path, [2, 4]);
    expect({ status: part.status, body: part.bytes.toString() }).toEqual({
      status: 206,
      body: 'llo',
    });
    const spec = await f.newObject(`a/${SPECIAL}`);
    expect((await f.read(spec.base.path)).bytes.toString()).toBe('special\n');
    const uni = await f.newObject(`a/${UNICODE}`);
    expect((await f.read(uni.base.path)).bytes.toString()).toBe('unicode\n');
    expect(trace(f).slice(-1)).toEqual([
      'GET /api/filesystem/me/cat/a/%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%E2%9C%93%20%E6%97%A5%E6%9C%AC.txt 2xx',
    ]);
    expect((await rejection(f.newObject('a/none.txt'))).kind).toBe('ErrorObjectNotFound');
    expect((await rejection(f.newObject('a'))).kind).toBe('ErrorIsDir');
  });
});
