import Sqlite from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001_init.js';
import * as m0002 from './migrations/0002_accounts_lists.js';
import * as m0003 from './migrations/0003_media.js';
import type { Database } from './schema.js';

/** Migrations are compiled in (no directory scanning), so they work from src/ and dist/ alike. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_accounts_lists': m0002,
  '0003_media': m0003,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export type Db = Kysely<Database>;

/**
 * The embedded default: SQLite in the data dir, WAL mode so the CLI can work on a live instance,
 * a busy timeout so concurrent writers wait instead of failing.
 */
export function openSqlite(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const database = new Sqlite(path.join(dataDir, 'stowage.db'));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  cachePreparedStatements(database);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

/**
 * Kysely prepares every query anew; on the upload and download paths that was ~6% of the main
 * thread. Statements are reusable (execution is synchronous, so never concurrent): keep them by
 * SQL text, within a bound.
 */
function cachePreparedStatements(database: Sqlite.Database): void {
  const prepare = database.prepare.bind(database);
  const cache = new Map<string, Sqlite.Statement>();
  database.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= 1000) cache.clear();
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof database.prepare;
}

export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
