import type { LockRepository } from '../core/leased-job.js';
import type { Db } from './db.js';

/**
 * Leases in the `locks` table, portable between SQLite and PostgreSQL: the row is created once
 * (insert … on conflict do nothing), then taken with one conditional UPDATE that succeeds only for
 * the current holder or once the lease has run out. Row locks (PostgreSQL) or the database lock
 * (SQLite) make that update atomic, so two nodes never both get it.
 */
export class KyselyLockRepository implements LockRepository {
  constructor(private readonly db: Db) {}

  async tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    await this.db
      .insertInto('locks')
      .values({ name, holder: '', expires_at: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const res = await this.db
      .updateTable('locks')
      .set({ holder, expires_at: now + ttlMs })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<=', now)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db
      .updateTable('locks')
      .set({ expires_at: 0 })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }
}
