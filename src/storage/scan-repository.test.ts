import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openSqlite, type Db } from './db.js';
import { KyselyScanRepository } from './scan-repository.js';

/** Scan results in the blob rows: claims, results, the sweep's and the rescan's queries. */
describe('KyselyScanRepository', () => {
  let dir: string;
  let db: Db;
  let repo: KyselyScanRepository;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-scanrepo-'));
    db = openSqlite(dir);
    await migrate(db);
    repo = new KyselyScanRepository(db);
    for (const [key, at] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const) {
      await db
        .insertInto('blobs')
        .values({ key, location: `loc-${key}`, size: 10, refcount: 1, data: null, created_at: at })
        .execute();
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a claim is taken once until it runs out or is given back', async () => {
    expect(await repo.claim('a', 100, 200)).toEqual({ key: 'a', location: 'loc-a', size: 10 });
    expect(await repo.claim('a', 150, 250)).toBeNull();
    expect(await repo.listUnscanned(150, 10)).toEqual(['b', 'c']);
    // Run out (the node died): claimable again.
    expect(await repo.claim('a', 200, 300)).not.toBeNull();
    await repo.release('a');
    expect(await repo.claim('a', 210, 310)).not.toBeNull();
    expect(await repo.claim('gone', 0, 10)).toBeNull();
  });

  it('a first result is stored once; a rescan overwrites; the files see it', async () => {
    const r = { status: 'infected' as const, signature: 'Sig', engine: 'ClamAV', at: 1000 };
    expect(await repo.record('a', r, true)).toBe(true);
    expect(await repo.record('a', { ...r, status: 'clean', signature: null }, true)).toBe(false);
    expect(await repo.claim('a', 5000, 6000)).toBeNull();
    expect(await repo.listUnscanned(5000, 10)).toEqual(['b', 'c']);
    expect(
      await repo.record('a', { ...r, status: 'clean', signature: null, at: 2000 }, false),
    ).toBe(true);
    const row = await db.selectFrom('blobs').selectAll().where('key', '=', 'a').executeTakeFirst();
    expect(row).toMatchObject({
      scan_status: 'clean',
      scan_signature: null,
      scan_engine: 'ClamAV',
    });
    expect(await repo.record('gone', r, false)).toBe(false);
  });

  it('old errors are reset for the sweep; rescans list by date or all, paged by key', async () => {
    await repo.record('b', { status: 'error', signature: 'x', engine: 'e', at: 1000 }, true);
    await repo.record('c', { status: 'error', signature: 'x', engine: 'e', at: 3000 }, true);
    expect(await repo.resetErrors(2000)).toBe(1);
    expect(await repo.listUnscanned(5000, 10)).toEqual(['b']);
    expect((await repo.listForRescan(null, null, 10)).map((b) => b.key)).toEqual(['a', 'b', 'c']);
    expect((await repo.listForRescan(null, 'a', 1)).map((b) => b.key)).toEqual(['b']);
    // Scanned before 2500, or never: a (2000) and b (reset); not c (3000).
    expect((await repo.listForRescan(2500, null, 10)).map((b) => b.key)).toEqual(['a', 'b']);
    expect(await repo.countForRescan(2500)).toEqual({ count: 2, bytes: 20 });
    expect(await repo.countForRescan(null)).toEqual({ count: 3, bytes: 30 });
    expect(await repo.fileIdsOf('a', 10)).toEqual([]);
  });
});
