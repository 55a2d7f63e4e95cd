import Sqlite from 'better-sqlite3';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqlite, SqliteHandle, WAL_AUTOCHECKPOINT, type Db } from './db.js';
import { WriteBatcher } from './write-batcher.js';

describe('WriteBatcher on SQLite', () => {
  let dir: string;
  let db: Db;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-batcher-'));
    db = openSqlite(dir);
    await sql`create table t (x integer)`.execute(db);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await db.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('waits for another writer without stalling the event loop, then commits', async () => {
    // Another connection (another process, a worker, the CLI) holds the write lock.
    const other = new Sqlite(path.join(dir, 'stowage.db'));
    other.exec('begin immediate');
    const batcher = new WriteBatcher(db);
    const done = batcher.run((trx) => sql`insert into t values (1)`.execute(trx));
    // The event loop turns while the batcher waits (SQLite's busy wait would block it, and
    // since the lock holder is in this very thread, until the busy timeout failed the batch).
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await new Promise((r) => setTimeout(r, 200));
    expect(ticks).toBeGreaterThan(10);
    const seen = await db
      .selectFrom('t' as never)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(seen).toEqual({ n: 0 }); // reads go on meanwhile, and the insert has not happened
    other.exec('commit');
    other.close();
    await done;
    clearInterval(timer);
    const after = await sql<{ n: number }>`select count(*) as n from t`.execute(db);
    expect(after.rows[0]!.n).toBe(1);
  });

  it('answers only once the WAL is synced, and fails the batch if the sync fails', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sync = vi.spyOn(SqliteHandle.prototype, 'syncWal').mockImplementation(() => gate);
    const batcher = new WriteBatcher(db);
    let answered = false;
    const done = batcher
      .run((trx) => sql`insert into t values (2)`.execute(trx))
      .then(() => (answered = true));
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    release();
    await done;
    expect(answered).toBe(true);

    sync.mockRejectedValueOnce(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await expect(batcher.run((trx) => sql`insert into t values (3)`.execute(trx))).rejects.toThrow(
      'EIO',
    );
  });

  it('commits the next batches while a sync runs, and answers them after a sync of their own', async () => {
    const gates: Array<{ release: () => void; fail: (e: Error) => void }> = [];
    const sync = vi.spyOn(SqliteHandle.prototype, 'syncWal').mockImplementation(
      () =>
        new Promise<void>((release, fail) => {
          gates.push({ release, fail });
        }),
    );
    const count = async () =>
      (await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!.n;
    const batcher = new WriteBatcher(db);
    const answered: string[] = [];
    const insert = (x: number) =>
      batcher
        .run((trx) => sql`insert into t values (${x})`.execute(trx))
        .then(
          () => answered.push(`ok ${x}`),
          (err: Error) => answered.push(`${err.message} ${x}`),
        );
    const first = insert(10);
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(1));
    // The first batch's sync is running: later jobs are committed meanwhile, not answered, and
    // wait for one more sync (only one runs at a time), not one each.
    const later = [insert(11), insert(12)];
    await vi.waitFor(async () => expect(await count()).toBe(3));
    const third = insert(13);
    await vi.waitFor(async () => expect(await count()).toBe(4));
    await new Promise((r) => setTimeout(r, 20));
    expect(sync).toHaveBeenCalledTimes(1);
    expect(answered).toEqual([]);
    // The first sync fails: its batch alone fails; the next sync covers the others.
    gates[0]!.fail(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await first;
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(2));
    expect(answered).toEqual(['EIO 10']);
    gates[1]!.release();
    await Promise.all([...later, third]);
    expect(answered.slice(1).sort()).toEqual(['ok 11', 'ok 12', 'ok 13']);
    expect(sync).toHaveBeenCalledTimes(2);
    // Nothing in flight: the next batch starts a sync at once.
    const last = insert(14);
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(3));
    gates[2]!.release();
    await last;
    expect(answered.at(-1)).toBe('ok 14');
  });

  it('leaves other statements with full syncing, the busy timeout and its checkpoints', async () => {
    const batcher = new WriteBatcher(db);
    await batcher.run((trx) => sql`insert into t values (4)`.execute(trx));
    const ckpt = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    expect(ckpt.rows[0]!.wal_autocheckpoint).toBe(WAL_AUTOCHECKPOINT);
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
    expect(sync.rows[0]!.synchronous).toBe(2); // FULL
    const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db);
    expect(busy.rows[0]!.timeout).toBe(10_000);
  });
});
