/**
 * rclone's pixeldrain backend replayed (rclone v1.75.0-121-g64ab1ac32, see rclone.replay.test.ts):
 * `moveto` of a file and of a directory (action=rename, target with the bucket), `delete`,
 * `rmdir`, `purge` (DELETE ?recursive=true) and what `about` reports around them.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithKey, startServer, tempDir, type TestServer } from './helpers.js';
import { rcloneCopy, readLocalTree, walk, remoteOf, type LocalTree } from './rclone/commands.js';
import { answer, trace, writeTree } from './rclone/fixture.js';
import { PixeldrainFs, RcloneError, base, type Options } from './rclone/pixeldrain.js';

let server: TestServer;
let opt: Options;
let localDir: string;
let local: LocalTree;
const T = { ns: 1_700_000_000_123_456_789n, offsetMin: 0 };

async function rejection(p: Promise<unknown>): Promise<RcloneError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof RcloneError))
    throw new Error(`expected an rclone error, got ${String(err)}`);
  return err;
}

async function fsAt(root: string): Promise<PixeldrainFs> {
  return (await PixeldrainFs.newFs(opt, root)).f;
}

beforeAll(async () => {
  server = await startServer();
  opt = { apiURL: server.url + '/api', apiKey: await createUserWithKey(server, 'mover') };
  localDir = await tempDir('rclone-mod-');
  await writeTree(
    localDir,
    [
      ['x.txt', 'x\n', '2024-01-01T00:00:00.001Z'],
      ['d/y.txt', 'yy\n', '2024-01-01T00:00:00.002Z'],
      ['d/e/z #?%.txt', 'zzz\n', '2024-01-01T00:00:00.003Z'],
    ],
    [],
  );
  local = await readLocalTree(localDir, 0);
});

afterAll(async () => {
  await server?.close();
  if (localDir) await fs.rm(localDir, { recursive: true, force: true });
});

describe('rclone pixeldrain backend replay: moves and deletes', () => {
  it('`rclone moveto remote:mv/src.txt "remote:mv/dest dir/ren #?%.txt"`: rename with the bucket in target', async () => {
    const setup = await fsAt('mv');
    await setup.put('src.txt', Buffer.from('moving\n'), T);
    const sha = (answer(setup, 'PUT') as { sha256_sum: string }).sha256_sum;

    const src = await PixeldrainFs.newFs(opt, 'mv/src.txt');
    expect(src.isFile).toBe(true);
    const dst = await fsAt('mv/dest dir');
    const srcObj = await src.f.newObject('src.txt');
    expect((await rejection(dst.newObject('ren #?%.txt'))).kind).toBe('ErrorObjectNotFound');
    const moved = await dst.move(srcObj, 'ren #?%.txt');
    expect(trace(src.f)).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/mv/src.txt/?stat= 2xx',
      'GET /api/filesystem/me/mv/src.txt?stat= 2xx',
    ]);
    expect(trace(dst)).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/mv/dest%20dir/?stat= 404 path_not_found',
      'GET /api/filesystem/me/mv/dest%20dir/ren%20%23%3F%25.txt?stat= 404 path_not_found',
      'POST /api/filesystem/me/mv/src.txt 2xx',
    ]);
    expect(answer(dst, 'POST')).toMatchObject({
      type: 'file',
      path: '/me/mv/dest dir/ren #?%.txt',
      name: 'ren #?%.txt',
      file_size: 7,
      sha256_sum: sha,
    });
    expect(moved.base).toMatchObject({
      path: 'ren #?%.txt',
      fileSize: 7,
      sha256: sha,
      modified: { ns: 1_700_000_000_123_000_000n },
    });
    expect((await rejection(src.f.newObject('src.txt'))).kind).toBe('ErrorObjectNotFound');
    expect((await dst.newObject('ren #?%.txt')).base.sha256).toBe(sha);
  });

  it('`rclone moveto` onto an existing file deletes the destination first, then renames', async () => {
    const f = await fsAt('mv-over');
    await f.put('new.txt', Buffer.from('new\n'), T);
    await f.put('old.txt', Buffer.from('old contents\n'), T);
    const from = f.calls.length;
    const srcObj = await f.newObject('new.txt');
    const dstObj = await f.newObject('old.txt');
    await f.remove(dstObj); // operations.move: DeleteFile(dst) as it is not the same object
    const moved = await f.move(srcObj, 'old.txt');
    expect(trace(f, from)).toEqual([
      'GET /api/filesystem/me/mv-over/new.txt?stat= 2xx',
      'GET /api/filesystem/me/mv-over/old.txt?stat= 2xx',
      'DELETE /api/filesystem/me/mv-over/old.txt 2xx',
      'POST /api/filesystem/me/mv-over/new.txt 2xx',
    ]);
    expect(moved.base).toMatchObject({ path: 'old.txt', fileSize: 4 });
    expect((await f.list('')).map(remoteOf)).toEqual(['old.txt']);
  });

  it('`rclone moveto remote:dm/src remote:dm2/renamed`: DirMove renames the root paths, both with a trailing slash', async () => {
    await rcloneCopy(opt, local, 'dm/src');
    const src = await fsAt('dm/src');
    const dst = await fsAt('dm2/renamed');
    await dst.dirMove(src, '', '');
    expect(trace(dst)).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/dm2/renamed/?stat= 404 path_not_found',
      'POST /api/filesystem/me/dm/src/ 2xx',
    ]);
    // The form sent: action=rename, target=/me/dm2/renamed/ (f.pathPrefix + ""), make_parents=true.
    expect(answer(dst, 'POST')).toMatchObject({
      type: 'dir',
      path: '/me/dm2/renamed',
      name: 'renamed',
    });
    expect((await walk(dst)).map(remoteOf).sort()).toEqual([
      'd',
      'd/e',
      'd/e/z #?%.txt',
      'd/y.txt',
      'x.txt',
    ]);
    const nested = answer(dst, 'GET /api/filesystem/me/dm2/renamed/d/e?stat=') as {
      children: unknown[];
    };
    expect(nested.children).toEqual([
      expect.objectContaining({
        type: 'file',
        path: '/me/dm2/renamed/d/e/z #?%.txt',
        file_size: 4,
      }),
    ]);
    expect((await rejection(src.list(''))).kind).toBe('ErrorDirNotFound');

    // Onto an existing directory: node_already_exists → fs.ErrorDirExists (rclone then moves file by file).
    const x = await fsAt('dm3/x');
    await x.mkdir('');
    const y = await fsAt('dm3/y');
    await y.mkdir('');
    const exists = await rejection(y.dirMove(x, '', ''));
    expect(exists.kind).toBe('ErrorDirExists');
    expect(exists.call?.status).toBe(400);
  });

  it('`rclone delete remote:del` removes the files one DELETE each and keeps the directories', async () => {
    await rcloneCopy(opt, local, 'del');
    const f = await fsAt('del');
    const objects = (await walk(f)).flatMap((e) => (e.dir ? [] : [e.object]));
    const from = f.calls.length;
    for (const o of objects) await f.remove(o);
    expect(trace(f, from).sort()).toEqual([
      'DELETE /api/filesystem/me/del/d/e/z%20%23%3F%25.txt 2xx',
      'DELETE /api/filesystem/me/del/d/y.txt 2xx',
      'DELETE /api/filesystem/me/del/x.txt 2xx',
    ]);
    expect((await walk(f)).map(remoteOf).sort()).toEqual(['d', 'd/e']);
    // Removing it again: path_not_found, which Remove returns as is.
    const twice = await rejection(f.remove(objects[0]!));
    expect({ kind: twice.kind, status: twice.call?.status }).toEqual({
      kind: 'errNotFound',
      status: 404,
    });
  });

  it('`rclone rmdir`: DELETE without recursive; directory_not_empty, then success, then ErrorDirNotFound', async () => {
    const f = await fsAt('rm');
    await f.put('d/e/keep.txt', Buffer.from('k'), T);
    const d = await fsAt('rm/d');
    const notEmpty = await rejection(d.rmdir(''));
    expect(notEmpty.kind).toBe('ErrorDirectoryNotEmpty');
    expect(notEmpty.call?.status).toBe(400);
    await f.remove(await f.newObject('d/e/keep.txt'));
    const e = await fsAt('rm/d/e');
    await e.rmdir('');
    expect(trace(e)).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/rm/d/e/?stat= 2xx',
      'DELETE /api/filesystem/me/rm/d/e/ 2xx',
    ]);
    expect(base(await d.stat(''))).toMatchObject({ type: 'dir', path: '/me/rm/d' });
    expect(await d.list('')).toEqual([]);
    const gone = await rejection((await fsAt('rm/d/e')).rmdir(''));
    expect(gone.kind).toBe('ErrorDirNotFound');
    expect(gone.call?.status).toBe(404);
  });

  it('`rclone purge remote:pg`: one DELETE ?recursive=true; the tree is gone; purge again → ErrorDirNotFound', async () => {
    await rcloneCopy(opt, local, 'pg');
    const f = await fsAt('pg');
    await f.purge('');
    expect(trace(f)).toEqual([
      'GET /api/user 2xx',
      'GET /api/filesystem/me/pg/?stat= 2xx',
      'DELETE /api/filesystem/me/pg/?recursive=true 2xx',
    ]);
    expect((await rejection(f.list(''))).kind).toBe('ErrorDirNotFound');
    const again = await rejection((await fsAt('pg')).purge(''));
    expect(again.kind).toBe('ErrorDirNotFound');
    expect(again.call?.status).toBe(404);
  });

  it('`rclone about`: Used (storage_space_used) counts the bytes stored through the filesystem', async () => {
    const f = await fsAt('');
    const before = (await f.about()).used;
    await rcloneCopy(opt, local, 'quota');
    const bytes = local.files.reduce((n, x) => n + x.data.length, 0);
    expect((await f.about()).used).toBe(before + bytes);
    await (await fsAt('quota')).purge('');
    expect((await f.about()).used).toBe(before);
  });
});
