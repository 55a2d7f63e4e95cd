import Sqlite from 'better-sqlite3';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSqlite } from './db.js';
import { SAFETY_NET_PAGES, startCheckpointer } from './sqlite-checkpointer.js';

describe('WAL checkpoints on a thread', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-checkpoint-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('checkpoints what the committing connection no longer does', async () => {
    const file = path.join(dir, 'stowage.db');
    const db = new Sqlite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('create table t (x blob)');
    const insert = db.prepare('insert into t values (?)');
    for (let i = 0; i < 200; i++) insert.run(Buffer.alloc(4096, i));
    const walBefore = (await fs.stat(`${file}-wal`)).size;
    expect(walBefore).toBeGreaterThan(800 * 1024);
    const cp = startCheckpointer(file, () => {}, { checkpointBytes: 64 * 1024, pollMs: 20 });
    try {
      await vi.waitFor(() => expect(cp.checkpointedPages).toBeGreaterThan(200), {
        timeout: 5000,
      });
      // Everything is in the database file now: the next writer starts the WAL over.
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{
        log: number;
        checkpointed: number;
      }>;
      expect(r!.checkpointed).toBe(r!.log);
    } finally {
      await cp.stop();
      db.close();
    }
  });

  it('reports a thread that cannot work (the database cannot be opened)', async () => {
    const errors: Error[] = [];
    const cp = startCheckpointer(path.join(dir, 'missing', 'stowage.db'), (e) => errors.push(e));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(errors[0]!.message).toMatch(/unable to open|directory does not exist|exited/i);
    await cp.stop();
  });

  it('a serving database keeps only the safety net on its connection and stops the thread on close', async () => {
    const db = openSqlite(dir, { checkpointThread: true });
    const r = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    expect(r.rows[0]!.wal_autocheckpoint).toBe(SAFETY_NET_PAGES);
    await db.destroy();
    const cli = openSqlite(dir);
    const d = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(cli);
    expect(d.rows[0]!.wal_autocheckpoint).toBe(1000); // SQLite's default elsewhere
    await cli.destroy();
  });
});
