import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { sqliteHandle, type Db, type SqliteHandle } from './db.js';
import { retryConflicts } from './db-errors.js';
import type { Database } from './schema.js';

type Job = {
  run: (trx: Kysely<Database>) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
};

/** Errors a job may raise *before* it writes anything: the job fails alone, the batch goes on. */
export class JobRefused extends Error {
  constructor(readonly reason: unknown) {
    super('job refused');
  }
}

/**
 * Group commit: write jobs that arrive while a transaction is being prepared or committed share
 * the next transaction, so concurrent uploads pay for one durable commit (one WAL fsync on SQLite)
 * instead of one each. A job that throws JobRefused fails alone; any other error aborts the batch
 * and fails all its jobs, except a PostgreSQL deadlock or serialization abort, after which the
 * whole batch runs again.
 *
 * On SQLite nothing of it waits on the thread that serves requests: the write lock is tried
 * without SQLite's busy wait (which sleeps in the calling thread) and the commit writes the WAL
 * without fsyncing it; the WAL is then fdatasync'd from the thread pool, and only then are the
 * jobs answered. The lock is held for the writes alone, not for the disk flush, so other
 * processes' batches (workers, the CLI) wait less too, and so does this process's next batch:
 * it is prepared and committed while the previous one's sync runs, and the batches committed
 * during a sync share the next one (SqliteHandle.syncCommitted).
 */
export class WriteBatcher {
  private queue: Job[] = [];
  private running = false;
  private readonly sqlite: SqliteHandle | undefined;

  constructor(
    private readonly db: Db,
    /**
     * How a write transaction starts. SQLite needs BEGIN IMMEDIATE: a deferred transaction that
     * reads first cannot be upgraded to a writer once another process has committed (SQLITE_BUSY,
     * which busy_timeout does not wait out).
     */
    private readonly begin = db.getExecutor().adapter instanceof PostgresAdapter
      ? // PostgreSQL: READ COMMITTED; every write takes its row locks (upserts, conditional
        // updates), which is what the reference counting relies on.
        'begin'
      : 'begin immediate',
    private readonly maxBatch = 256,
  ) {
    this.sqlite = sqliteHandle(db);
  }

  run<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      let outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      const failAll = (err: unknown) => {
        for (const job of batch) job.reject(err);
      };
      try {
        // A batch PostgreSQL aborted to break a deadlock (deletes cascading into rows a counter
        // flush holds) wrote nothing: it runs again, every job with it.
        await retryConflicts(async () => {
          outcomes = [];
          await this.transaction((conn) => this.runJobs(conn, batch, outcomes));
        });
      } catch (err) {
        failAll(err);
        continue;
      }
      const answer = () =>
        batch.forEach((job, i) => {
          const o = outcomes[i]!;
          if (o.ok) job.resolve(o.value);
          else job.reject(o.error);
        });
      // SQLite: the commit wrote the WAL without syncing it; nobody hears of the batch before
      // it is durable, and the next batch does not wait for that.
      if (this.sqlite) this.sqlite.syncCommitted().then(answer, failAll);
      else answer();
    }
    this.running = false;
  }

  private async runJobs(
    conn: Kysely<Database>,
    batch: Job[],
    outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>,
  ): Promise<void> {
    try {
      for (const job of batch) {
        try {
          outcomes.push({ ok: true, value: await job.run(conn) });
        } catch (err) {
          if (!(err instanceof JobRefused)) throw err;
          outcomes.push({ ok: false, error: err.reason });
        }
      }
      await sql`commit`.execute(conn);
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw err;
    }
  }

  /**
   * Begin a write transaction and run `body` in it (which commits or rolls back). On SQLite the
   * write lock is taken without SQLite's busy wait, which sleeps in this thread and so stalls
   * every request of the process while another process (a worker, the CLI) writes: when the lock
   * is taken, the connection is given back and the attempt repeats after an asynchronous pause
   * (1, 2, 4 ms..., at most LOCK_PAUSE_MAX), SQLite's own wait being the last resort after
   * LOCK_WAIT_ASYNC. The commit does not fsync on this thread either (see SqliteHandle).
   */
  private async transaction(body: (conn: Kysely<Database>) => Promise<void>): Promise<void> {
    const sqlite = this.sqlite;
    if (!sqlite) {
      await this.db.connection().execute(async (conn) => {
        await sql.raw(this.begin).execute(conn);
        await body(conn);
      });
      return;
    }
    const started = Date.now();
    for (let pause = 1; ; pause = Math.min(pause * 2, LOCK_PAUSE_MAX)) {
      const lastTry = Date.now() - started >= LOCK_WAIT_ASYNC;
      const done = await this.db.connection().execute((conn) =>
        sqlite.unsyncedCommits(async () => {
          const begin = () => sql.raw(this.begin).execute(conn);
          const begun = lastTry ? await begin() : await sqlite.tryLock(begin);
          if (begun === null) return false;
          await body(conn);
          return true;
        }),
      );
      if (done) return;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** The longest asynchronous pause between two tries for SQLite's write lock (ms). */
const LOCK_PAUSE_MAX = 8;
/** After this long (ms) trying asynchronously, SQLite's own busy timeout waits for the lock. */
const LOCK_WAIT_ASYNC = 5_000;
