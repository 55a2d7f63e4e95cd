import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { SqliteCheckpointer, WORKER_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { openSqlite } from './db.js';
import { sqlitePath } from './sqlite-file.js';
import { sql } from 'kysely';

const opened: Array<{ close(): void }> = [];
afterEach(() => {
  for (const c of opened.splice(0).reverse()) c.close();
});

/** A writer connection as a `--workers` worker has it (its own checkpoints far out). */
async function writer(): Promise<{ file: string; db: Sqlite.Database }> {
  const dir = await tempDir();
  const file = sqlitePath(dir);
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`wal_autocheckpoint = ${WORKER_AUTOCHECKPOINT_PAGES}`);
  db.exec('create table t (k integer primary key, v blob)');
  opened.push(db);
  return { file, db };
}

/** `n` transactions of 4 KiB rows (each at least a page of WAL). */
function write(db: Sqlite.Database, n: number): void {
  const ins = db.prepare('insert into t (v) values (randomblob(4096))');
  for (let i = 0; i < n; i++) ins.run();
}

const walSize = (file: string) => fs.statSync(`${file}-wal`).size;

function checkpointer(file: string, opts: ConstructorParameters<typeof SqliteCheckpointer>[1]) {
  const c = new SqliteCheckpointer(file, opts);
  opened.push({ close: () => c.stop() });
  return c;
}

describe('SqliteCheckpointer', () => {
  it('copies the WAL into the database file, and restarts a long log so it stops growing', async () => {
    const { file, db } = await writer();
    const c = checkpointer(file, { restartFrames: 100 });
    write(db, 300);
    const dbBefore = fs.statSync(file).size;
    const r = c.tick()!;
    expect(r.busy).toBe(false);
    expect(r.log).toBeGreaterThan(300);
    expect(r.checkpointed).toBe(r.log);
    // The rows reached the database file itself.
    expect(fs.statSync(file).size).toBeGreaterThan(dbBefore + 300 * 4096);
    const high = walSize(file);
    // Round after round, the log is rewritten from its start: the file does not grow.
    for (let round = 0; round < 5; round++) {
      write(db, 300);
      expect(c.tick()!.checkpointed).toBeGreaterThan(300);
    }
    expect(walSize(file)).toBeLessThanOrEqual(high);
    // Without the checkpointer, the worker's connection lets the log grow far beyond that.
    write(db, 1500);
    expect(walSize(file)).toBeGreaterThan(high * 3);
  });

  it('a writer holding the lock: the restart waits for a later tick, nobody blocks or throws', async () => {
    const { file, db } = await writer();
    const errors: Error[] = [];
    const c = checkpointer(file, { restartFrames: 10, onError: (e) => errors.push(e) });
    write(db, 50);
    db.exec('begin immediate');
    db.prepare('insert into t (v) values (randomblob(4096))').run();
    const started = Date.now();
    const r = c.tick()!;
    expect(Date.now() - started).toBeLessThan(1000);
    // The passive pass copied the committed frames; the restart could not take the lock.
    expect(r.checkpointed).toBeGreaterThanOrEqual(50);
    db.exec('commit');
    expect(errors).toEqual([]);
    write(db, 20);
    const after = c.tick()!;
    expect(after.busy).toBe(false);
    expect(after.checkpointed).toBe(after.log);
  });

  it('a failing checkpoint goes to onError, and tick returns null instead of throwing', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'not-a-database');
    fs.writeFileSync(file, Buffer.alloc(8192, 'x'));
    const errors: Error[] = [];
    let c: SqliteCheckpointer;
    try {
      c = checkpointer(file, { onError: (e) => errors.push(e) });
    } catch (err) {
      // better-sqlite3 may already refuse the file while the connection is set up.
      expect((err as { code?: string }).code).toBe('SQLITE_NOTADB');
      return;
    }
    expect(c.tick()).toBeNull();
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['SQLITE_NOTADB']);
  });

  it('start ticks on its own; stop closes the connection', async () => {
    const { file, db } = await writer();
    const c = new SqliteCheckpointer(file, { intervalMs: 20, restartFrames: 1 }).start();
    write(db, 30);
    const dbBefore = fs.statSync(file).size;
    const deadline = Date.now() + 5000;
    while (fs.statSync(file).size < dbBefore + 30 * 4096 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    c.stop();
    expect(fs.statSync(file).size).toBeGreaterThanOrEqual(dbBefore + 30 * 4096);
    c.stop();
  });
});

describe('openSqlite, checkpointed elsewhere', () => {
  it('keeps its own automatic checkpoint only as a backstop far out', async () => {
    const dir = await tempDir();
    const own = openSqlite(dir);
    const worker = openSqlite(dir, { checkpointedElsewhere: true });
    opened.push({ close: () => void own.destroy() }, { close: () => void worker.destroy() });
    const pages = async (db: typeof own) =>
      (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows[0]!
        .wal_autocheckpoint;
    expect(await pages(own)).toBe(1000);
    expect(await pages(worker)).toBe(WORKER_AUTOCHECKPOINT_PAGES);
  });
});
