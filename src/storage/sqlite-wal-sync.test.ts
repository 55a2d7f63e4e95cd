import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqlite, sqliteHandle, type Db } from './db.js';

/** Descriptors of this process open on `file` (Linux: /proc/self/fd). */
function descriptorsOn(file: string): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === file) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe('SqliteHandle.syncWal', () => {
  let dir: string;
  let db: Db;
  let destroyed = false;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-walsync-'));
    db = openSqlite(dir);
    destroyed = false;
    await sql`create table t (x integer)`.execute(db);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    if (!destroyed) await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('syncs through one descriptor, kept while the database is open and closed with it', async () => {
    const handle = sqliteHandle(db)!;
    const sqlites = descriptorsOn(handle.walPath); // SQLite's own
    const open = vi.spyOn(fs.promises, 'open');
    for (let i = 0; i < 3; i++) {
      await sql`insert into t values (${i})`.execute(db);
      await handle.syncWal();
    }
    expect(open).toHaveBeenCalledTimes(1);
    expect(descriptorsOn(handle.walPath)).toBe(sqlites + 1);
    await db.destroy();
    destroyed = true;
    await new Promise((r) => setTimeout(r, 50));
    expect(descriptorsOn(handle.walPath)).toBe(0);
  });

  it('opens the WAL anew when a sync fails on its descriptor, and passes other errors on', async () => {
    const handle = sqliteHandle(db)!;
    await handle.syncWal();
    const proto = Object.getPrototypeOf(await fs.promises.open(handle.walPath, 'r')) as {
      datasync: () => Promise<void>;
    };
    const datasync = vi
      .spyOn(proto, 'datasync')
      .mockRejectedValueOnce(Object.assign(new Error('bad fd'), { code: 'EBADF' }));
    const open = vi.spyOn(fs.promises, 'open');
    await handle.syncWal();
    expect(open).toHaveBeenCalledTimes(1);
    expect(datasync).toHaveBeenCalledTimes(2);
    datasync.mockRejectedValueOnce(Object.assign(new Error('i/o'), { code: 'EIO' }));
    await expect(handle.syncWal()).rejects.toThrow('i/o');
  });
});
