import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createUserWithKey,
  startServer,
  storedLocations,
  type TestServer,
} from './helpers.js';
import { blobLocations, pathsOf, treeProblems } from './fs-consistency.js';
import { nothingStaged } from './fs-crash.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type Answer = {
  status: number;
  body: { value?: string; success?: boolean } & Record<string, unknown>;
};

/**
 * The filesystem API under concurrent requests (issue 16, item 3): writers of one path, mkdirall of
 * overlapping trees, renames racing deletes and renames, a rename of a large tree watched while it
 * moves. Whatever raced, every request answers a success or one of the API's error values, and the
 * tables stay consistent: parents exist and paths follow from them, reference counts are exact,
 * and the blob store holds exactly the blobs the rows name.
 */
describe('filesystem API under concurrent requests', () => {
  let server: TestServer;
  let key: string;
  let userId: string;
  const fs = (path: string) => `${server.url}/api/filesystem${path}`;
  const auth = () => ({ authorization: basic(key) });
  const answer = async (res: Response): Promise<Answer> => ({
    status: res.status,
    body: (await res.json()) as Answer['body'],
  });
  const post = (path: string, fields: Record<string, string>) =>
    fetch(fs(path), {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }).then(answer);
  const put = (path: string, body: Buffer) =>
    fetch(fs(path), { method: 'PUT', headers: auth(), body: new Uint8Array(body) }).then(answer);
  const del = (path: string) => fetch(fs(path), { method: 'DELETE', headers: auth() }).then(answer);
  const read = async (path: string) => {
    const res = await fetch(fs(path), { headers: auth() });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  /** Every answer is a success or an error value of the API (never a 5xx). */
  function expectProper(answers: Answer[], allowed: string[]) {
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body)).toBeLessThan(500);
      if (a.status >= 400) {
        expect(a.body.success).toBe(false);
        expect(allowed).toContain(a.body.value);
      }
    }
  }

  async function expectConsistent() {
    const db = server.app.runtime.db;
    expect(await treeProblems(db)).toEqual([]);
    // No orphan: the store holds exactly what the rows reference.
    expect(await storedLocations(server)).toEqual(await blobLocations(db));
    expect(await nothingStaged(server)).toBe(true);
  }

  beforeAll(async () => {
    server = await startServer();
    key = await createUserWithKey(server, 'fsrace');
    userId = (await server.app.runtime.core.accounts.userByName('fsrace')).id;
  });
  afterAll(() => server?.close());

  it('many PUTs of different contents to one new path (parents made by each): one content wins, nothing leaks', async () => {
    // Half above the inline size (stored in the blob store), half inline in the metadata.
    const bodies = Array.from({ length: 16 }, (_, i) => randomBytes(i % 2 ? 40_000 + i : 1000 + i));
    const answers = await Promise.all(
      bodies.map((b) => put('/me/race/deep/same.bin?make_parents=true', b)),
    );
    expectProper(answers, []);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const got = await read('/me/race/deep/same.bin');
    expect(got.status).toBe(200);
    const winner = bodies.findIndex((b) => b.equals(got.bytes));
    expect(winner).toBeGreaterThanOrEqual(0);
    const stat = await (await fetch(fs('/me/race/deep?stat'), { headers: auth() })).json();
    expect(stat.children).toHaveLength(1);
    expect(stat.children[0]).toMatchObject({ name: 'same.bin', sha256_sum: sha256(got.bytes) });
    expect(await pathsOf(server.app.runtime.db, userId, '/race')).toEqual([
      '/race',
      '/race/deep',
      '/race/deep/same.bin',
    ]);
    // Only the winner's blob is left of the sixteen.
    const keys = new Set(bodies.map(sha256));
    const left = await server.app.runtime.db
      .selectFrom('blobs')
      .select(['key', 'refcount'])
      .execute();
    expect(left.filter((b) => keys.has(b.key))).toEqual([{ key: sha256(got.bytes), refcount: 1 }]);
    await expectConsistent();
  });

  it('PUTs of one content to many paths racing deletes of them: the blob is counted exactly', async () => {
    const body = randomBytes(50_000);
    const first = await Promise.all(
      Array.from({ length: 10 }, (_, i) => put(`/me/same/f${i}.bin?make_parents=true`, body)),
    );
    expect(first.every((a) => a.status === 200)).toBe(true);
    const racing = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => del(`/me/same/f${i}.bin`)),
      ...Array.from({ length: 10 }, (_, i) => put(`/me/same/g${i}.bin`, body)),
      // Overwrites of deleted paths: either before the delete (then gone) or after (a new node).
      ...Array.from({ length: 5 }, (_, i) => put(`/me/same/f${i}.bin`, body)),
    ]);
    expectProper(racing, []);
    const row = await server.app.runtime.db
      .selectFrom('blobs')
      .select('refcount')
      .where('key', '=', sha256(body))
      .executeTakeFirst();
    const nodes = (await pathsOf(server.app.runtime.db, userId, '/same')).length - 1;
    expect(nodes).toBeGreaterThanOrEqual(10);
    expect(Number(row?.refcount)).toBe(nodes);
    await expectConsistent();
    expect((await del('/me/same?recursive=true')).status).toBe(200);
    expect(
      await server.app.runtime.db
        .selectFrom('blobs')
        .select('key')
        .where('key', '=', sha256(body))
        .executeTakeFirst(),
    ).toBeUndefined();
    await expectConsistent();
  });

  it('mkdirall of overlapping trees at once: each new directory made once, the rest told it exists', async () => {
    const leaves = ['/me/ov/a/b/c', '/me/ov/a/b/d', '/me/ov/a/x', '/me/ov/y/z', '/me/ov/a/b/e/f'];
    const requests = Array.from({ length: 25 }, (_, i) => leaves[i % leaves.length]!);
    const answers = await Promise.all(requests.map((p) => post(p, { action: 'mkdirall' })));
    expectProper(answers, ['node_already_exists']);
    for (const leaf of leaves) {
      const made = answers.filter((a, i) => requests[i] === leaf && a.status === 201);
      expect(made, leaf).toHaveLength(1);
    }
    expect(await pathsOf(server.app.runtime.db, userId, '/ov')).toEqual(
      [
        '/ov',
        '/ov/a',
        '/ov/a/b',
        '/ov/a/b/c',
        '/ov/a/b/d',
        '/ov/a/b/e',
        '/ov/a/b/e/f',
        '/ov/a/x',
        '/ov/y',
        '/ov/y/z',
      ].sort(),
    );
    await expectConsistent();
  });

  it('renames racing deletes and other renames of one subtree end in a consistent tree', async () => {
    for (const d of ['/me/sub/t/a/b', '/me/sub/t/c', '/me/sub/u']) {
      expect((await post(d, { action: 'mkdirall' })).status).toBe(201);
    }
    const content = randomBytes(30_000);
    for (const f of ['/me/sub/t/a/b/1.bin', '/me/sub/t/a/2.bin', '/me/sub/t/c/3.bin']) {
      expect((await put(f, content)).status).toBe(200);
    }
    expect((await put('/me/sub/t/own.bin', randomBytes(25_000))).status).toBe(200);
    const ops: Array<() => Promise<Answer>> = [
      () => post('/me/sub/t', { action: 'rename', target: '/me/sub/t2' }),
      () => post('/me/sub/t/a', { action: 'rename', target: '/me/sub/u/a' }),
      () => post('/me/sub/t/a/b', { action: 'rename', target: '/me/sub/b' }),
      () => del('/me/sub/t?recursive=true'),
      () => post('/me/sub/t2', { action: 'rename', target: '/me/sub/t' }),
      () => post('/me/sub/u', { action: 'rename', target: '/me/sub/t/c/u', make_parents: 'true' }),
      () => del('/me/sub/t/a?recursive=true'),
      () => post('/me/sub/t/c', { action: 'rename', target: '/me/sub/t/a/b/c' }),
      () => post('/me/sub/t2/c', { action: 'rename', target: '/me/sub/c' }),
      () => del('/me/sub/t2?recursive=true'),
    ];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ops[i % ops.length]!()));
    expectProper(answers, [
      'path_not_found',
      'node_already_exists',
      'circular_dependency',
      'node_is_not_a_directory',
    ]);
    await expectConsistent();
    // Whatever survived can still be read, listed and deleted.
    expect((await del('/me/sub?recursive=true')).status).toBe(200);
    expect(await pathsOf(server.app.runtime.db, userId, '/sub')).toEqual([]);
    await expectConsistent();
  });

  it('a directory moved into its own child is refused; so is a move onto an existing node', async () => {
    expect((await post('/me/circ/a/b/c', { action: 'mkdirall' })).status).toBe(201);
    expect((await put('/me/circ/f.txt', Buffer.from('f'))).status).toBe(200);
    for (const target of ['/me/circ/a/b', '/me/circ/a/b/c/d', '/me/circ/a/x']) {
      const r = await post('/me/circ/a', { action: 'rename', target, make_parents: 'true' });
      expect(r.status, target).toBe(400);
      expect(r.body.value).toBe('circular_dependency');
    }
    // A move onto an existing directory or file, of a directory or a file.
    for (const [from, target] of [
      ['/me/circ/a/b/c', '/me/circ/a'],
      ['/me/circ/a/b', '/me/circ/f.txt'],
      ['/me/circ/f.txt', '/me/circ/a/b'],
    ] as const) {
      const r = await post(from, { action: 'rename', target });
      expect(r.status, `${from} -> ${target}`).toBe(400);
      expect(r.body.value).toBe('node_already_exists');
    }
    expect(await pathsOf(server.app.runtime.db, userId, '/circ')).toEqual([
      '/circ',
      '/circ/a',
      '/circ/a/b',
      '/circ/a/b/c',
      '/circ/f.txt',
    ]);
    await expectConsistent();
  });

  it('a rename of a directory with 2,000 descendants is seen whole: before it or after it', async () => {
    const dirs = 40;
    const perDir = 49;
    const body = Buffer.from('small and shared');
    // The tree is written straight into the table (2,000 requests would take long on PostgreSQL):
    // one uploaded file's blob, referenced by every file node.
    expect((await put('/me/big/seed.bin?make_parents=true', body)).status).toBe(200);
    const seed = (await server.app.runtime.db
      .selectFrom('fs_nodes')
      .selectAll()
      .where('owner_id', '=', userId)
      .where('path', '=', '/big/seed.bin')
      .executeTakeFirstOrThrow())!;
    const rows: (typeof seed)[] = [];
    for (let d = 0; d < dirs; d++) {
      const dir = {
        ...seed,
        id: randomBytes(8).toString('hex'),
        path: `/big/d${d}`,
        name: `d${d}`,
      };
      Object.assign(dir, { type: 'dir', size: 0, blob_key: null, mime_type: null });
      rows.push(dir);
      for (let f = 0; f < perDir; f++) {
        const name = `f${f}.txt`;
        const id = randomBytes(8).toString('hex');
        rows.push({ ...seed, id, parent_id: dir.id, path: `${dir.path}/${name}`, name, depth: 3 });
      }
    }
    for (let i = 0; i < rows.length; i += 500) {
      await server.app.runtime.db
        .insertInto('fs_nodes')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    await server.app.runtime.db
      .updateTable('blobs')
      .set({ refcount: sql`refcount + ${dirs * perDir}` })
      .where('key', '=', seed.blob_key!)
      .execute();
    expect(await treeProblems(server.app.runtime.db)).toEqual([]);
    const db = server.app.runtime.db;
    const total = dirs * (perDir + 1) + 2;
    expect((await pathsOf(db, userId, '/big')).length).toBe(total);

    let done = false;
    let polls = 0;
    let answered = 0;
    const mixed: string[] = [];
    /** A stat of a directory in the tree answers one side of the move, all of it. */
    const watch = async (base: string) => {
      while (!done) {
        const dir = `${base}/d${polls++ % dirs}`;
        const res = await fetch(fs(`${dir}?stat`), { headers: auth() });
        const stat = (await res.json()) as {
          path: { path: string }[];
          children: { path: string }[];
        };
        if (res.status === 404) continue;
        answered++;
        const path = stat.path.map((n) => n.path);
        const children = stat.children.map((n) => n.path);
        if (
          path.join() !== ['/me', base, dir].join() ||
          children.length !== perDir ||
          children.some((c) => !c.startsWith(`${dir}/`))
        ) {
          mixed.push(
            `${dir}: path ${path.join()}; ${children.length} children, e.g. ${children[0]}`,
          );
        }
      }
    };
    /** The database, in one statement, has the whole subtree on one side. */
    const count = async () => {
      while (!done) {
        const paths = await pathsOf(db, userId);
        const old = paths.filter((p) => p === '/big' || p.startsWith('/big/')).length;
        const moved = paths.filter((p) => p === '/moved' || p.startsWith('/moved/')).length;
        if (!((old === total && moved === 0) || (old === 0 && moved === total))) {
          mixed.push(`database: ${old} under /big, ${moved} under /moved`);
        }
        // SQLite answers synchronously: let the event loop (the server) run between reads.
        await new Promise((r) => setImmediate(r));
      }
    };
    const watchers = [
      ...Array.from({ length: 2 }, () => watch('/me/big')),
      ...Array.from({ length: 2 }, () => watch('/me/moved')),
      count(),
    ];
    // Back and forth a few times, the watchers polling all along.
    const moves: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [from, to] = i % 2 ? ['/me/moved', '/me/big'] : ['/me/big', '/me/moved'];
      moves.push((await post(from, { action: 'rename', target: to })).status);
    }
    done = true;
    await Promise.all(watchers);
    console.log(`[fs] ${answered} stats answered while the tree moved back and forth`);
    expect(moves).toEqual([200, 200, 200, 200, 200, 200]);
    expect(mixed).toEqual([]);
    expect(answered).toBeGreaterThan(0);
    expect(await pathsOf(db, userId, '/big')).toHaveLength(total);
    expect(await pathsOf(db, userId, '/moved')).toEqual([]);
    expect((await read('/me/big/d7/f3.txt')).bytes.equals(body)).toBe(true);
    await expectConsistent();
    expect((await del('/me/big?recursive=true')).status).toBe(200);
    await expectConsistent();
  }, 120_000);
});
