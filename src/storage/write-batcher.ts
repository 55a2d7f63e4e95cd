import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Db } from './db.js';
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
 */
export class WriteBatcher {
  private queue: Job[] = [];
  private running = false;

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
  ) {}

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
      try {
        // A batch PostgreSQL aborted to break a deadlock (deletes cascading into rows a counter
        // flush holds) wrote nothing: it runs again, every job with it.
        await retryConflicts(() => {
          outcomes = [];
          return this.db.connection().execute(async (conn) => {
            await sql.raw(this.begin).execute(conn);
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
          });
        });
      } catch (err) {
        for (const job of batch) job.reject(err);
        continue;
      }
      batch.forEach((job, i) => {
        const o = outcomes[i]!;
        if (o.ok) job.resolve(o.value);
        else job.reject(o.error);
      });
    }
    this.running = false;
  }
}
