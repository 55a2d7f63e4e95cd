/**
 * rclone's pixeldrain backend replayed (rclone v1.75.0-121-g64ab1ac32, see rclone.replay.test.ts):
 * `copy` from a clock east of UTC, `copy -M` (created, mode, modified), `--create-empty-src-dirs`,
 * ChangeNotify polling (`?change_log&start=&end=`, logging switched on for any root but `/me/`),
 * `rclone link` (update shared=true → /d/<id>) and a remote whose root_folder_id is that id.
 */
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startServer, tempDir, type TestServer } from './helpers.js';
import { rcloneCopy, readLocalTree, remoteOf, walk } from './rclone/commands.js';
import { answer, ms, nodeNs, trace, writeTree } from './rclone/fixture.js';
import { PixeldrainFs, RcloneError, base, type Options } from './rclone/pixeldrain.js';

let server: TestServer;
let opt: Options;
let root: string;
const T = { ns: 1_700_000_000_000_000_000n, offsetMin: 0 };

async function rejection(p: Promise<unknown>): Promise<RcloneError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof RcloneError))
    throw new Error(`expected an rclone error, got ${String(err)}`);
  return err;
}

async function fsAt(dir: string, more: Partial<Options> = {}): Promise<PixeldrainFs> {
  return (await PixeldrainFs.newFs({ ...opt, ...more }, dir)).f;
}

beforeAll(async () => {
  server = await startServer();
  opt = { apiURL: server.url + '/api', apiKey: await createUserWithKey(server, 'sharer') };
  root = await tempDir('rclone-shared-');
});

afterAll(async () => {
  await server?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('rclone pixeldrain backend replay: metadata, empty dirs, ChangeNotify, shared roots', () => {
  it('`rclone copy` from a clock at UTC+01:00: modified=…+01:00 (and the update of a dir) are the same instants', async () => {
    const dir = `${root}/zone`;
    await writeTree(
      dir,
      [['z/t.txt', 'zone\n', '2024-03-03T03:03:03.333333Z']],
      [['z', '2015-01-01T00:00:00.999999Z']],
    );
    const tree = await readLocalTree(dir, 60);
    const r = await rcloneCopy({ ...opt, localOffsetMin: 60 }, tree, 'zone');
    expect(r.errors).toEqual([]);
    expect(trace(r.f).slice(3)).toEqual([
      expect.stringMatching(
        /^PUT \/api\/filesystem\/me\/zone\/z\/t\.txt\?make_parents=true&modified=2024-03-03T04%3A03%3A03\.33333\d+%2B01%3A00 2xx$/,
      ),
      'POST /api/filesystem/me/zone/z 2xx',
    ]);
    expect(nodeNs(answer(r.f, 'PUT').modified)).toBe(ms(tree.files[0]!.mtime));
    expect(nodeNs(answer(r.f, 'POST').modified)).toBe(ms(tree.dirs[0]!.mtime));
    const again = await rcloneCopy({ ...opt, localOffsetMin: 60 }, tree, 'zone');
    expect([again.errors, again.uploaded.length, again.modTimesSet, again.dirModTimesSet]).toEqual([
      [],
      0,
      [],
      [],
    ]);
  });

  it('`rclone copy -M`: PUT ?created=&make_parents=true&mode=100640&modified= (mode is the local st_mode in octal)', async () => {
    const dir = `${root}/meta`;
    await writeTree(dir, [['m.txt', 'metadata\n', '2024-03-03T03:03:03.333333Z']], []);
    await fs.chmod(`${dir}/m.txt`, 0o640);
    const tree = await readLocalTree(dir, 0);
    const file = tree.files[0]!;
    const r = await rcloneCopy(opt, tree, 'meta', { metadata: true });
    const put = r.f.calls.find((c) => c.method === 'PUT')!;
    expect(put.url).toMatch(
      /^\/api\/filesystem\/me\/meta\/m\.txt\?(created=\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d(\.\d+)?Z&)?make_parents=true&mode=100640&modified=2024-03-03T03%3A03%3A03\.33333\d+Z$/,
    );
    expect(r.errors).toEqual([]);
    const node = put.json as Record<string, unknown>;
    expect(node).toMatchObject({ type: 'file', path: '/me/meta/m.txt', file_size: 9 });
    expect(nodeNs(node.modified)).toBe(ms(file.mtime));
    if (file.btime) expect(nodeNs(node.created)).toBe(ms(file.btime));
    // rclone hands mode_octal back as the "mode" metadata; the local backend chmods with it.
    expect(node.mode_octal).toMatch(/^(100)?640$/);
    const again = await rcloneCopy(opt, tree, 'meta', { metadata: true });
    expect([again.errors, again.uploaded.length, again.modTimesSet]).toEqual([[], 0, []]);
  });

  it('`rclone copy --create-empty-src-dirs`: mkdirall then update modified for each new directory', async () => {
    const dir = `${root}/ced`;
    await writeTree(
      dir,
      [['f.txt', 'f\n', '2024-01-01T00:00:00Z']],
      [
        ['e1', '2017-05-05T05:05:05.505505Z'],
        ['e1/e2', '2016-06-06T06:06:06.606606Z'],
      ],
    );
    const tree = await readLocalTree(dir, 0);
    const r = await rcloneCopy(opt, tree, 'ced', { createEmptySrcDirs: true });
    expect(r.errors).toEqual([]);
    expect(trace(r.f).slice(3)).toEqual([
      'PUT /api/filesystem/me/ced/f.txt?make_parents=true&modified=2024-01-01T00%3A00%3A00Z 2xx',
      'POST /api/filesystem/me/ced/e1 2xx',
      'POST /api/filesystem/me/ced/e1 2xx',
      'POST /api/filesystem/me/ced/e1/e2 2xx',
      'POST /api/filesystem/me/ced/e1/e2 2xx',
    ]);
    const e1 = (await r.f.list('')).find((e) => e.dir && e.remote === 'e1');
    const e2 = (await r.f.list('e1')).find((e) => e.dir && e.remote === 'e1/e2');
    expect(e1?.dir && e1.modified?.ns).toBe(ms(tree.dirs[0]!.mtime));
    expect(e2?.dir && e2.modified?.ns).toBe(ms(tree.dirs[1]!.mtime));
    expect(await r.f.list('e1/e2')).toEqual([]);
  });

  it('ChangeNotify on `remote:` (prefix /me/): no logging set-up, change_log paths relative with a leading slash', async () => {
    const f = await fsAt('');
    expect(await f.changeNotifySetup()).toBeNull();
    const lastPoll = f.now();
    await sleep(5);
    const w = await fsAt('');
    await w.put('cn/a.txt', Buffer.from('a'), T);
    const moved = await w.move(await w.newObject('cn/a.txt'), 'cn/b.txt');
    await w.mkdir('cn/d');
    await w.remove(moved);
    await sleep(5);
    const t = f.now();
    const notes = await f.changeNotifyPoll(lastPoll, t);
    const poll = f.calls.at(-1)!;
    expect(poll.url).toMatch(
      /^\/api\/filesystem\/me\/\?change_log=&end=\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d+Z&start=/,
    );
    expect(poll.status).toBeLessThan(300);
    expect(notes).toEqual(
      expect.arrayContaining([
        { path: 'cn/a.txt', type: 'file' },
        { path: 'cn/b.txt', type: 'file' },
        { path: 'cn/d', type: 'dir' },
      ]),
    );
    for (const e of poll.json as { path: string; action: string }[]) {
      expect(e.path.startsWith('/') && !e.path.startsWith('/me/'), e.path).toBe(true);
      expect(typeof e.action).toBe('string');
    }
    await sleep(5);
    expect(await f.changeNotifyPoll(t, f.now())).toEqual([]);
  });

  it('ChangeNotify on `remote:cnsub` from UTC+05:30: update logging_enabled=true, then only that directory’s changes', async () => {
    await (await fsAt('cnsub')).mkdir('');
    const f = await fsAt('cnsub', { localOffsetMin: 330 });
    const setup = await f.changeNotifySetup();
    expect(trace(f).at(-1)).toBe('POST /api/filesystem/me/cnsub/ 2xx');
    expect(setup).toMatchObject({ type: 'dir', path: '/me/cnsub' });
    const lastPoll = f.now();
    await sleep(5);
    await f.put('x y.txt', Buffer.from('x'), T);
    await f.mkdir('sub');
    await (await fsAt('')).put('elsewhere.txt', Buffer.from('e'), T);
    await sleep(5);
    const notes = await f.changeNotifyPoll(lastPoll, f.now());
    expect(f.calls.at(-1)!.url).toMatch(
      /^\/api\/filesystem\/me\/cnsub\/\?change_log=&end=[^&]+%2B05%3A30&start=[^&]+%2B05%3A30$/,
    );
    expect(notes).toEqual(
      expect.arrayContaining([
        { path: 'x y.txt', type: 'file' },
        { path: 'sub', type: 'dir' },
      ]),
    );
    expect(
      notes.filter(
        (n) =>
          n.path.includes('elsewhere') || n.path.startsWith('me/') || n.path.startsWith('cnsub'),
      ),
    ).toEqual([]);
  });

  it('`rclone link remote:share`, then a remote with root_folder_id = the shared id (anonymous and owner)', async () => {
    const dir = `${root}/share`;
    await writeTree(
      dir,
      [
        ['x.txt', 'x\n', '2024-01-01T00:00:00.001Z'],
        ['d/z #?%.txt', 'zzz\n', '2024-01-01T00:00:00.003Z'],
      ],
      [],
    );
    await rcloneCopy(opt, await readLocalTree(dir, 0), 'share');
    const owner = await fsAt('');
    const link = await owner.publicLink('share', false);
    expect(trace(owner).at(-1)).toBe('POST /api/filesystem/me/share 2xx');
    const node = answer(owner, 'POST /api/filesystem/me/share');
    expect(node).toMatchObject({
      type: 'dir',
      path: '/me/share',
      id: expect.stringMatching(/^[A-Za-z0-9]{8}$/),
    });
    const id = node.id as string;
    expect(link).toBe(`${server.url}/d/${id}`);

    // No api_key: NewFs skips GET /user and stats /<id>/; nodes carry paths under /<id>/.
    const anon = (await PixeldrainFs.newFs({ apiURL: opt.apiURL, rootFolderID: id }, '')).f;
    expect(anon.pathPrefix).toBe(`/${id}/`);
    expect(trace(anon)).toEqual([`GET /api/filesystem/${id}/?stat= 2xx`]);
    expect((await walk(anon)).map(remoteOf).sort()).toEqual(['d', 'd/z #?%.txt', 'x.txt']);
    const rootStat = answer(anon, `GET /api/filesystem/${id}/?stat=`) as {
      children: { path: string }[];
    };
    expect(rootStat.children.map((c) => c.path).sort()).toEqual([`/${id}/d`, `/${id}/x.txt`]);
    expect(base(await anon.stat('d'))).toMatchObject({ type: 'dir', path: `/${id}/d` });
    expect((await anon.read('d/z #?%.txt')).bytes.toString()).toBe('zzz\n');
    expect(trace(anon).at(-1)).toBe(`GET /api/filesystem/${id}/d/z%20%23%3F%25.txt 2xx`);
    const denied = await rejection(anon.put('new.txt', Buffer.from('n'), T));
    expect({ kind: denied.kind, status: denied.call?.status }).toEqual({
      kind: 'ErrorPermissionDenied',
      status: 400,
    });
    const noDelete = await rejection(anon.deleteRaw('x.txt', false));
    expect({ kind: noDelete.kind, status: noDelete.call?.status }).toEqual({
      kind: 'ErrorPermissionDenied',
      status: 400,
    });

    // The owner with root_folder_id = id: writes land under /<id>/, ChangeNotify switches logging on.
    const mine = await fsAt('d', { rootFolderID: id });
    const up = await mine.put('up.txt', Buffer.from('up'), T);
    expect(answer(mine, 'PUT')).toMatchObject({
      type: 'file',
      path: `/${id}/d/up.txt`,
      name: 'up.txt',
      file_size: 2,
    });
    expect(up.base.path).toBe('up.txt');
    await mine.changeNotifySetup();
    expect(trace(mine)).toEqual([
      'GET /api/user 2xx',
      `GET /api/filesystem/${id}/d/?stat= 2xx`,
      `PUT /api/filesystem/${id}/d/up.txt?make_parents=true&modified=2023-11-14T22%3A13%3A20Z 2xx`,
      `POST /api/filesystem/${id}/d/ 2xx`,
    ]);
    expect(answer(mine, 'POST')).toMatchObject({ type: 'dir', path: `/${id}/d` });
    expect((await owner.newObject('share/d/up.txt')).base.fileSize).toBe(2);
    // moveto within that remote: the rename target starts with the shared id, not `me`.
    const moved = await mine.move(up, 'sub dir/moved.txt');
    expect(trace(mine).at(-1)).toBe(`POST /api/filesystem/${id}/d/up.txt 2xx`);
    expect(answer(mine, 'POST')).toMatchObject({
      type: 'file',
      path: `/${id}/d/sub dir/moved.txt`,
    });
    expect(moved.base.path).toBe('sub dir/moved.txt');
    expect((await owner.newObject('share/d/sub dir/moved.txt')).base.fileSize).toBe(2);

    // `rclone link --unlink`: shared=false, no id any more, the bucket is gone for everyone.
    expect(await owner.publicLink('share', true)).toBe('');
    const gone = await rejection(PixeldrainFs.newFs({ apiURL: opt.apiURL, rootFolderID: id }, ''));
    expect({ kind: gone.kind, status: gone.call?.status }).toEqual({
      kind: 'APIError:not_found',
      status: 404,
    });
  });
});
