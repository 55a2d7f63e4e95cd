import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { migrate, openSqlite, type Db } from './db.js';

/**
 * A migrated SQLite database in a directory of its own for each test of the calling suite, closed
 * and removed after it. Returns how to reach the current test's database.
 */
export function useTempSqlite(prefix: string): () => Db {
  let dir: string | null = null;
  let db: Db | null = null;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    db = openSqlite(dir);
    await migrate(db);
  });
  afterEach(async () => {
    await db?.destroy();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    db = dir = null;
  });
  return () => {
    if (!db) throw new Error('the temporary database exists only during a test');
    return db;
  };
}
