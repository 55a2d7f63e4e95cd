import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INLINE_LOCATION } from '../src/core/blob-store.js';
import { FS_CHANGES_LOCK } from '../src/core/filesystem/prune.js';
import { KyselyLockRepository } from '../src/storage/lock-repository.js';
import {
  basic,
  createUserWithKey,
  startServer,
  storedLocations,
  type TestServer,
} from './helpers.js';

/**
 * The operator's side of the filesystem (both stacks): `gc` counts file nodes as references,
 * deleting an account deletes its tree and releases the blobs only it held, and the change log is
 * pruned past 30 days by a leased job (an injected clock).
 */
const DAY = 86_400_000;
let now = Date.UTC(2026, 5, 1);
let s: TestServer;

beforeAll(async () => {
  s = await startServer({}, undefined, { now: () => now });
});
afterAll(() => s?.close());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const auth = (key: string) => ({ authorization: basic(key) });

async function putNode(key: string, path: string, body: Buffer): Promise<void> {
  const r = await fetch(`${s.url}/api/filesystem/me${path}?make_parents=true`, {
    method: 'PUT',
    headers: auth(key),
    body: new Uint8Array(body),
  });
  expect(r.status, await r.text()).toBe(200);
}

async function putFile(key: string, name: string, body: Buffer): Promise<string> {
  const r = await fetch(`${s.url}/api/file/${name}`, {
    method: 'PUT',
    headers: auth(key),
    body: new Uint8Array(body),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

/** The blob row of this content (null: none), and whether its bytes are in the store. */
async function blobOf(body: Buffer): Promise<{ refcount: number; inStore: boolean } | null> {
  const row = await s.app.runtime.db
    .selectFrom('blobs')
    .select(['location', 'refcount'])
    .where('key', '=', sha(body))
    .executeTakeFirst();
  if (!row) return null;
  const inStore =
    row.location === INLINE_LOCATION || (await storedLocations(s)).includes(row.location);
  return { refcount: Number(row.refcount), inStore };
}

describe('gc and file nodes', () => {
  it('a blob only nodes hold is referenced: gc finds nothing to fix, and fixing keeps it', async () => {
    const key = await createUserWithKey(s, 'gcuser');
    const onlyNode = randomBytes(70_000);
    const shared = randomBytes(50_000);
    await putNode(key, '/a/only.bin', onlyNode);
    await putNode(key, '/a/shared.bin', shared);
    await putFile(key, 'shared.bin', shared);
    expect(await blobOf(shared)).toEqual({ refcount: 2, inStore: true });

    const report = await s.app.runtime.integrity.gc({ fix: true, minAgeMs: 3_600_000 });
    expect(report.miscounted).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.orphans).toEqual([]);
    expect(await blobOf(onlyNode)).toEqual({ refcount: 1, inStore: true });
    expect(await blobOf(shared)).toEqual({ refcount: 2, inStore: true });
    const got = await fetch(`${s.url}/api/filesystem/me/a/only.bin`, { headers: auth(key) });
    expect(Buffer.from(await got.arrayBuffer()).equals(onlyNode)).toBe(true);

    // A count that disagrees is corrected to files + nodes.
    await s.app.runtime.db
      .updateTable('blobs')
      .set({ refcount: 9 })
      .where('key', '=', sha(shared))
      .execute();
    const fixed = await s.app.runtime.integrity.gc({ fix: true, minAgeMs: 3_600_000 });
    expect(fixed.miscounted).toEqual([
      { key: sha(shared), recorded: 9, actual: 2, files: 1, nodes: 1 },
    ]);
    expect(await blobOf(shared)).toEqual({ refcount: 2, inStore: true });
  });

  it('a node whose bytes are missing is reported by owner and path; fixing deletes it', async () => {
    const key = await createUserWithKey(s, 'lostuser');
    const lost = randomBytes(60_000);
    await putNode(key, '/x/lost.bin', lost);
    const row = await s.app.runtime.db
      .selectFrom('blobs')
      .select('location')
      .where('key', '=', sha(lost))
      .executeTakeFirstOrThrow();
    await s.app.runtime.blobs.delete(row.location);
    const report = await s.app.runtime.integrity.gc({ fix: true, minAgeMs: 3_600_000 });
    const userId = (await s.app.runtime.core.accounts.userByName('lostuser')).id;
    expect(report.missing).toEqual([
      {
        key: sha(lost),
        location: row.location,
        fileIds: [],
        nodes: [{ ownerId: userId, owner: 'lostuser', path: '/x/lost.bin' }],
      },
    ]);
    expect(await blobOf(lost)).toBeNull();
    const stat = await fetch(`${s.url}/api/filesystem/me/x/lost.bin?stat`, { headers: auth(key) });
    expect(stat.status).toBe(404);
    // The directory it was in stays.
    expect((await fetch(`${s.url}/api/filesystem/me/x?stat`, { headers: auth(key) })).status).toBe(
      200,
    );
  });
});

describe('account deletion', () => {
  /** An account with a tree: a blob only it holds, one shared with another account's file. */
  async function accountWithTree(name: string, otherKey: string) {
    const key = await createUserWithKey(s, name);
    const own = randomBytes(40_000);
    const small = Buffer.from(`inline content of ${name}`);
    const shared = randomBytes(30_000);
    await putNode(key, '/docs/own.bin', own);
    await putNode(key, '/docs/deep/er/small.txt', small);
    await putNode(key, '/shared.bin', shared);
    const otherFile = await putFile(otherKey, `${name}-shared.bin`, shared);
    expect(await blobOf(shared)).toMatchObject({ refcount: 2 });
    const userId = (await s.app.runtime.core.accounts.userByName(name)).id;
    return { key, userId, own, small, shared, otherFile };
  }

  async function expectTreeGone(t: Awaited<ReturnType<typeof accountWithTree>>): Promise<void> {
    const left = await s.app.runtime.db
      .selectFrom('fs_nodes')
      .select('id')
      .where('owner_id', '=', t.userId)
      .execute();
    expect(left).toEqual([]);
    expect(await blobOf(t.own)).toBeNull();
    expect(await blobOf(t.small)).toBeNull();
    // Still held by the other account's file, and served.
    expect(await blobOf(t.shared)).toEqual({ refcount: 1, inStore: true });
    const r = await fetch(`${s.url}/api/file/${t.otherFile}`);
    expect(Buffer.from(await r.arrayBuffer()).equals(t.shared)).toBe(true);
  }

  it('DELETE /api/user deletes the tree; blobs only it held go, shared ones stay', async () => {
    const otherKey = await createUserWithKey(s, 'keeper1');
    const t = await accountWithTree('leaver', otherKey);
    const gone = (await blobOf(t.own))!;
    expect(gone.inStore).toBe(true);
    const locations = await storedLocations(s);
    const r = await fetch(`${s.url}/api/user`, { method: 'DELETE', headers: auth(t.key) });
    expect(r.status).toBe(200);
    await expectTreeGone(t);
    // The bytes went from the store too.
    expect((await storedLocations(s)).length).toBe(locations.length - 1);
  });

  it('an admin’s delete does the same', async () => {
    const adminKey = await createUserWithKey(s, 'fsadmin', { admin: true });
    const otherKey = await createUserWithKey(s, 'keeper2');
    const t = await accountWithTree('removed', otherKey);
    const r = await fetch(`${s.url}/api/admin/users/${t.userId}/delete`, {
      method: 'POST',
      headers: { ...auth(adminKey), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=test',
    });
    expect(r.status, await r.text()).toBe(200);
    await expectTreeGone(t);
  });
});

describe('the change log', () => {
  /** The owner's change-log entries (their paths), as stored. */
  const logged = async (userId: string) =>
    (
      await s.app.runtime.db
        .selectFrom('fs_changes')
        .select('path')
        .where('owner_id', '=', userId)
        .orderBy('at')
        .execute()
    ).map((c) => c.path);

  it('is pruned past 30 days by a leased job, one node at a time', async () => {
    const key = await createUserWithKey(s, 'logger');
    const userId = (await s.app.runtime.core.accounts.userByName('logger')).id;
    const { fsChangePrune } = s.app.runtime.core;
    await fsChangePrune.runOnce();
    const t0 = now;
    await putNode(key, '/old.txt', Buffer.from('old'));
    now += 20 * DAY;
    await putNode(key, '/young.txt', Buffer.from('young'));
    expect(await logged(userId)).toEqual(['/old.txt', '/young.txt']);
    // Exactly 30 days old: still within the span the API serves.
    now = t0 + 30 * DAY;
    expect(await fsChangePrune.runOnce()).toBe(0);

    // A millisecond later it is past: but another node holds the lease, and this one waits.
    now += 1;
    const locks = new KyselyLockRepository(s.app.runtime.db);
    expect(await locks.tryAcquire(FS_CHANGES_LOCK, 'other-node', 60_000, now)).toBe(true);
    expect(await fsChangePrune.runOnce()).toBe(0);
    expect(await logged(userId)).toEqual(['/old.txt', '/young.txt']);
    await locks.release(FS_CHANGES_LOCK, 'other-node');
    // Every account's entries of that time go (earlier tests wrote some too).
    const due = await s.app.runtime.db
      .selectFrom('fs_changes')
      .select('id')
      .where('at', '<', now - 30 * DAY)
      .execute();
    expect(due.length).toBeGreaterThanOrEqual(1);
    expect(await fsChangePrune.runOnce()).toBe(due.length);
    expect(await logged(userId)).toEqual(['/young.txt']);
    // rclone's ChangeNotify still gets what is left.
    const r = await fetch(`${s.url}/api/filesystem/me?change_log&start=${t0 + DAY}&end=${now}`, {
      headers: auth(key),
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { path: string }[]).map((c) => c.path)).toEqual(['/young.txt']);
  });
});
