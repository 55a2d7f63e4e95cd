import Sqlite from 'better-sqlite3';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqlite, SqliteHandle, type Db } from './db.js';
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

  it('leaves other statements with full syncing and the busy timeout', async () => {
    const batcher = new WriteBatcher(db);
    await batcher.run((trx) => sql`insert into t values (4)`.execute(trx));
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
    expect(sync.rows[0]!.synchronous).toBe(2); // FULL
    const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db);
    expect(busy.rows[0]!.timeout).toBe(10_000);
  });
});
