import { sql } from 'kysely';
import type { FsNodeRecord } from '../core/filesystem/types.js';
import { isRetryableConflict, isUniqueViolation } from './db-errors.js';
import { getNode, type Trx } from './fs-sql.js';
import { JobRefused, type WriteBatcher } from './write-batcher.js';

/**
 * One filesystem write: a savepoint in a group-committed batch, so a refusal rolls back only its
 * own statements; retried when another process made a node at the same path meanwhile.
 */
export function fsTransaction<T>(writes: WriteBatcher, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return writes.run(async (trx) => {
    for (let attempt = 1; ; attempt++) {
      await sql`savepoint fs_op`.execute(trx);
      try {
        const out = await fn(trx);
        await sql`release savepoint fs_op`.execute(trx);
        return out;
      } catch (err) {
        try {
          await sql`rollback to savepoint fs_op`.execute(trx);
          await sql`release savepoint fs_op`.execute(trx);
        } catch {
          throw err;
        }
        // A deadlock aborts the batch, which runs again.
        if (isRetryableConflict(err)) throw err;
        // Another process made a node at the same path meanwhile (PostgreSQL): the checks run
        // again and now see it (each statement reads what is committed).
        if (isUniqueViolation(err) && attempt < 3) continue;
        // Anything else fails this operation alone.
        throw new JobRefused(err);
      }
    }
  });
}

/**
 * PostgreSQL: lock the existing nodes at these paths (a write's ancestors) so that they are
 * neither moved nor deleted before this transaction commits. Locked top-down (by depth), as every
 * write does, which keeps deadlocks rare (PostgreSQL breaks those, and the batch runs again).
 */
export async function lockShared(
  trx: Trx,
  pg: boolean,
  ownerId: string,
  paths: readonly string[],
): Promise<void> {
  if (!pg || paths.length === 0) return;
  await trx
    .selectFrom('fs_nodes')
    .select('id')
    .where('owner_id', '=', ownerId)
    .where('path', 'in', [...new Set(paths)])
    .orderBy('depth')
    .forShare()
    .execute();
}

/**
 * The node at a path, locked for this transaction (PostgreSQL: FOR UPDATE; a concurrent writer
 * of it commits first, and what is read is what it left).
 */
export async function lockNode(
  trx: Trx,
  pg: boolean,
  ownerId: string,
  path: string,
): Promise<FsNodeRecord | null> {
  if (pg) {
    await trx
      .selectFrom('fs_nodes')
      .select('id')
      .where('owner_id', '=', ownerId)
      .where('path', '=', path)
      .forUpdate()
      .execute();
  }
  return getNode(trx, ownerId, path);
}
