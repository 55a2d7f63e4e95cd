import type { LockRepository } from '../core/leased-job.js';
import type { Db } from './db.js';
import { WriteBatcher } from './write-batcher.js';

/**
 * Leases in the `locks` table, portable between SQLite and PostgreSQL: the row is created once
 * (insert … on conflict do nothing), then taken with one conditional UPDATE that succeeds only for
 * the current holder or once the lease has run out. Row locks (PostgreSQL) or the database lock
 * (SQLite) make that update atomic, so two nodes never both get it.
 *
 * The writes go through a write batcher: each acquisition is one transaction, leases taken at
 * once share a commit, and on SQLite the commit's fsync runs in the thread pool, not on the
 * thread that serves requests (a tus upload in 64 MiB PATCHes takes and drops a lease per PATCH).
 */
export class KyselyLockRepository implements LockRepository {
  private readonly writes: WriteBatcher;

  constructor(db: Db) {
    this.writes = new WriteBatcher(db);
  }

  tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.writes.run(async (trx) => {
      await trx
        .insertInto('locks')
        .values({ name, holder: '', expires_at: 0 })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const res = await trx
        .updateTable('locks')
        .set({ holder, expires_at: now + ttlMs })
        .where('name', '=', name)
        .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<=', now)]))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    });
  }

  /** Let the lease go (its row stays, for the next holder of this recurring job). */
  async release(name: string, holder: string): Promise<void> {
    await this.writes.run((trx) =>
      trx
        .updateTable('locks')
        .set({ expires_at: 0 })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .execute(),
    );
  }

  /** Let the lease go and delete its row (a lock named after something short-lived). */
  async remove(name: string, holder: string): Promise<void> {
    await this.writes.run((trx) =>
      trx.deleteFrom('locks').where('name', '=', name).where('holder', '=', holder).execute(),
    );
  }
}
