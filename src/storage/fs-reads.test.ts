import { beforeEach, describe, expect, it } from 'vitest';
import { useTempSqlite } from './db.test-helpers.js';
import { KyselyFsReads } from './fs-reads.js';

/**
 * A stat's children come from a narrower query than `get` (no blob join, and the owner, parent
 * and depth taken from the parent): each must still be the record `get` gives, its blob's
 * location and scan status aside.
 */
describe('KyselyFsReads: a listing reads the records get reads', () => {
  const database = useTempSqlite('stowage-fsreads-');
  let reads: KyselyFsReads;

  beforeEach(async () => {
    const db = database();
    reads = new KyselyFsReads(db);
    await db
      .insertInto('users')
      .values({ id: 'u1', username: 'u1', password_hash: null, is_admin: 0, created_at: 1 })
      .execute();
    await db
      .insertInto('blobs')
      .values({ key: 'k1', location: 'loc-k1', size: 5, refcount: 1, data: null, created_at: 1 })
      .execute();
    const node = (
      id: string,
      parent: string | null,
      p: string,
      type: 'dir' | 'file',
      depth: number,
      extra: Record<string, unknown> = {},
    ) => ({
      id,
      owner_id: 'u1',
      parent_id: parent,
      path: p,
      name: p.slice(p.lastIndexOf('/') + 1),
      type,
      depth,
      created_at: 1000 + depth,
      modified_at: 2000 + depth,
      updated_at: 3000 + depth,
      mode: type === 'dir' ? 0o755 : 0o644,
      size: 0,
      downloads: 0,
      transfer: 0,
      ...extra,
    });
    await db
      .insertInto('fs_nodes')
      .values([
        node('root', null, '', 'dir', 0),
        node('docs', 'root', '/docs', 'dir', 1),
        node('a', 'docs', '/docs/a.txt', 'file', 2, {
          size: 5,
          blob_key: 'k1',
          mime_type: 'text/plain',
          share_id: 'share1',
          link_permissions: '{"read":true}',
          user_permissions: '{"bob":{"read":true,"write":true}}',
          password_permissions: '{"pw":{"read":true}}',
          properties: '{"color":"red"}',
          downloads: 7,
          transfer: 35,
        }),
        node('sub', 'docs', '/docs/sub', 'dir', 2),
        node('deep', 'sub', '/docs/sub/b.txt', 'file', 3, { size: 0 }),
      ])
      .execute();
  });

  it('statOf: the node, its ancestors and its children, each child as get reads it', async () => {
    for (const [at, ancestors, expected] of [
      ['/docs', [''], ['/docs/a.txt', '/docs/sub']],
      ['/docs/sub', ['', '/docs'], ['/docs/sub/b.txt']],
      ['', [], ['/docs']],
    ] as const) {
      const stat = (await reads.statOf('u1', at, ancestors))!;
      expect(stat.node).toEqual(await reads.get('u1', at));
      expect(stat.ancestors.map((n) => n.path).sort()).toEqual([...ancestors].sort());
      const children = [...stat.children].sort((x, y) => x.path.localeCompare(y.path));
      expect(children.map((c) => c.path)).toEqual(expected);
      for (const child of children) {
        const got = (await reads.get('u1', child.path))!;
        expect(child).toEqual({ ...got, blobLocation: null, scanStatus: null });
      }
    }
    // The file's own fields came through: the parsed permissions and properties among them.
    const docs = (await reads.statOf('u1', '/docs', ['']))!;
    expect(docs.children.find((c) => c.name === 'a.txt')).toMatchObject({
      ownerId: 'u1',
      parentId: 'docs',
      depth: 2,
      size: 5,
      blobKey: 'k1',
      shareId: 'share1',
      userPermissions: { bob: { read: true, write: true } },
      properties: { color: 'red' },
    });
    expect((await reads.get('u1', '/docs/a.txt'))!.blobLocation).toBe('loc-k1');
  });

  it('children: the same records as statOf lists', async () => {
    const docs = (await reads.get('u1', '/docs'))!;
    const stat = (await reads.statOf('u1', '/docs', ['']))!;
    expect(await reads.children(docs)).toEqual(stat.children);
  });
});
