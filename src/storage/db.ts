import Sqlite from 'better-sqlite3';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  Kysely,
  Migrator,
  PostgresAdapter,
  sql,
  SqliteDialect,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import type * as Pg from 'pg';
import type { Config } from '../config.js';
import * as m0001 from './migrations/0001_init.js';
import * as m0002 from './migrations/0002_accounts_lists.js';
import * as m0003 from './migrations/0003_media.js';
import * as m0004 from './migrations/0004_filebin.js';
import * as m0005 from './migrations/0005_chevereto.js';
import * as m0006 from './migrations/0006_traffic.js';
import * as m0007 from './migrations/0007_traffic_series.js';
import * as m0008 from './migrations/0008_rules.js';
import * as m0009 from './migrations/0009_moderation.js';
import * as m0010 from './migrations/0010_filesystem.js';
import * as m0011 from './migrations/0011_tus_uploads.js';
import * as m0012 from './migrations/0012_user_settings.js';
import * as m0013 from './migrations/0013_lean_indexes.js';
import { SearchPathPostgresDialect } from './pg-introspector.js';
import type { Database } from './schema.js';

/** Migrations are compiled in (no directory scanning), so they work from src/ and dist/ alike. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_accounts_lists': m0002,
  '0003_media': m0003,
  '0004_filebin': m0004,
  '0005_chevereto': m0005,
  '0006_traffic': m0006,
  '0007_traffic_series': m0007,
  '0008_rules': m0008,
  '0009_moderation': m0009,
  '0010_filesystem': m0010,
  '0011_tus_uploads': m0011,
  '0012_user_settings': m0012,
  '0013_lean_indexes': m0013,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export type Db = Kysely<Database>;

/** SQLite's busy timeout (ms) for every statement but the write batcher's first attempts. */
const BUSY_TIMEOUT = 10_000;

/**
 * WAL pages after which a commit checkpoints (SQLite's default is 1,000). A checkpoint copies
 * the WAL's pages into the database and fsyncs it, on the committing thread, which is the one
 * serving requests; a small upload writes ~5 pages, so at 1,000 every ~200th upload's batch
 * stalled on it. Above 1,000, small PUTs ran ~20% faster (bench/README.md), as fast at 4,000
 * (16 MiB of log) as at 10,000.
 */
export const WAL_AUTOCHECKPOINT = 4_000;

/**
 * The embedded default: SQLite in the data dir, WAL mode so the CLI can work on a live instance,
 * a busy timeout so concurrent writers wait instead of failing.
 */
export function openSqlite(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const database = new Sqlite(path.join(dataDir, 'stowage.db'));
  database.pragma('journal_mode = WAL');
  database.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
  database.pragma('synchronous = FULL');
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT}`);
  database.pragma('foreign_keys = ON');
  cachePreparedStatements(database);
  const handle = new SqliteHandle(database);
  // Kysely's destroy() closes the database: the handle's WAL descriptor goes with it.
  const close = database.close.bind(database);
  database.close = () => {
    handle.close();
    return close();
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  sqliteHandles.set(db, handle);
  return db;
}

/**
 * What the write batcher needs of an SQLite database beyond Kysely (see WriteBatcher): taking the
 * write lock without sleeping on the event loop, and committing without an fsync on the event
 * loop, the WAL then flushed from the thread pool before anyone is told the write happened.
 */
export class SqliteHandle {
  readonly walPath: string;

  constructor(private readonly database: Sqlite.Database) {
    this.walPath = `${database.name}-wal`;
  }

  /**
   * Run `fn` (which begins a write transaction) with no busy wait: SQLite's own waits sleep in
   * the calling thread, which here is the one serving every request of the process. Returns
   * null when another process holds the write lock (SQLITE_BUSY), so the caller can wait
   * asynchronously and try again.
   */
  async tryLock<T>(fn: () => Promise<T>): Promise<T | null> {
    this.database.pragma('busy_timeout = 0');
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return null;
      throw err;
    } finally {
      this.database.pragma(`busy_timeout = ${BUSY_TIMEOUT}`);
    }
  }

  /**
   * Run `fn` (a whole transaction, BEGIN to COMMIT: SQLite refuses to change the setting inside
   * one) with commits that write the WAL but do not fsync it (synchronous = NORMAL). The transaction is atomic and safe against a crash of this process
   * at once, but durable against a crash of the machine only after `syncWal()`.
   */
  async unsyncedCommits<T>(fn: () => Promise<T>): Promise<T> {
    this.database.pragma('synchronous = NORMAL');
    try {
      return await fn();
    } finally {
      this.database.pragma('synchronous = FULL');
    }
  }

  /**
   * fdatasync the WAL from the thread pool: every transaction committed before (by this process
   * or another) is then durable. The descriptor is opened once and kept: SQLite removes the WAL
   * only when the last connection closes, and this one stays open until `close` (which closes the
   * descriptor too). A sync that fails on the descriptor itself (the file gone after all) opens
   * it anew once.
   */
  async syncWal(): Promise<void> {
    try {
      await (await this.walHandle()).datasync();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EBADF' && code !== 'ENOENT' && code !== 'ESTALE') throw err;
      this.dropWal();
      await (await this.walHandle()).datasync();
    }
  }

  /**
   * Resolves once an fdatasync of the WAL begun after this call has completed, so every commit
   * made before the call is durable. One sync is in flight at a time: callers that come while
   * it runs share the next one, which starts when it ends (group commit: the batches committed
   * during one sync pay for one more, not one each).
   */
  syncCommitted(): Promise<void> {
    if (!this.syncing) return this.startSync();
    this.nextSync ??= this.syncing.then(noop, noop).then(() => {
      this.nextSync = null;
      return this.startSync();
    });
    return this.nextSync;
  }

  private syncing: Promise<void> | null = null;
  private nextSync: Promise<void> | null = null;

  private startSync(): Promise<void> {
    const sync: Promise<void> = this.syncWal().finally(() => {
      if (this.syncing === sync) this.syncing = null;
    });
    this.syncing = sync;
    return sync;
  }

  private wal: Promise<fs.promises.FileHandle> | null = null;

  private walHandle(): Promise<fs.promises.FileHandle> {
    if (!this.wal) {
      const opening = fs.promises.open(this.walPath, 'r');
      // A failed open is not kept: the next sync tries again.
      opening.catch(() => {
        if (this.wal === opening) this.wal = null;
      });
      this.wal = opening;
    }
    return this.wal;
  }

  private dropWal(): void {
    const wal = this.wal;
    this.wal = null;
    void wal?.then((fh) => fh.close()).catch(() => {});
  }

  /** The database is closing: so is the WAL's descriptor. */
  close(): void {
    this.dropWal();
  }
}

const sqliteHandles = new WeakMap<Db, SqliteHandle>();

/** The SQLite handle of a database opened by openSqlite (undefined for PostgreSQL). */
export function sqliteHandle(db: Db): SqliteHandle | undefined {
  return sqliteHandles.get(db);
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

/**
 * The scale-out metadata store: PostgreSQL through a connection pool. With a schema, every
 * connection's search_path is that schema only, so several instances (or test runs) can share one
 * database.
 */
export function openPostgres(url: string, poolSize: number, schema: string | null): Db {
  // Loaded here, on use (synchronously: pg is CommonJS): the embedded stack never needs it, and it
  // would cost ~10 MiB of RSS in every process.
  const pg = createRequire(import.meta.url)('pg') as typeof Pg;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Operators (and the fault tests) find this process's connections in pg_stat_activity;
    // `?application_name=` in the URL takes precedence.
    fallback_application_name: 'stowage',
    // A database that does not answer fails the request (503) instead of queueing it forever.
    connectionTimeoutMillis: 5000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A connection reset (pg_terminate_backend, a restart, a failover, a proxy drop) makes the
  // client emit 'error': while idle the pool listens, but a checked-out client has no listener of
  // its own and an unhandled 'error' would kill the process. The query in flight fails with the
  // error (the request answers 5xx), the client is no longer queryable, so the pool discards it on
  // release and connects anew on the next checkout.
  pool.on('connect', (client) => client.on('error', () => {}));
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new SearchPathPostgresDialect({ pool }) });
}

/** The metadata store the configuration asks for. */
export function openDatabase(config: Config): Db {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl, config.databasePoolSize, config.databaseSchema)
    : openSqlite(config.dataDir);
}

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function migrate(db: Db, schema: string | null = null): Promise<string[]> {
  if (schema && isPostgres(db)) {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  }
  // On PostgreSQL, Kysely serialises concurrent migrators (several nodes starting) with an
  // advisory lock; on SQLite the database lock does it.
  const migrator = new Migrator({
    db,
    provider: new StaticProvider(),
    // Kysely's queries of its own tables name the schema only when told which: name ours.
    ...(schema && isPostgres(db) ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

const noop = (): void => {};
