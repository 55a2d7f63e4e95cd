import type { Selectable } from 'kysely';
import type {
  PendingOwner,
  ResumableRecord,
  ResumableRepository,
} from '../../core/resumable/records.js';
import type { Db } from '../db.js';
import { num, type TusUploadsTable } from '../schema.js';
import { WriteBatcher } from '../write-batcher.js';

function toRecord(r: Selectable<TusUploadsTable>): ResumableRecord {
  return {
    id: r.id,
    ownerId: r.owner_id,
    ownerIp: r.owner_ip,
    length: num(r.length),
    name: r.name,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    fileId: r.file_id,
    finishedAt: r.finished_at === null ? null : num(r.finished_at),
  };
}

/** The `tus_uploads` rows (0011), on SQLite and PostgreSQL. */
export class KyselyResumableRepository implements ResumableRepository {
  /** For the touch after every PATCH: batched, its commit's fsync off the serving thread. */
  private readonly writes: WriteBatcher;

  constructor(private readonly db: Db) {
    this.writes = new WriteBatcher(db);
  }

  async insert(r: ResumableRecord): Promise<void> {
    await this.db
      .insertInto('tus_uploads')
      .values({
        id: r.id,
        owner_id: r.ownerId,
        owner_ip: r.ownerIp,
        length: r.length,
        name: r.name,
        created_at: r.createdAt,
        expires_at: r.expiresAt,
        file_id: r.fileId,
        finished_at: r.finishedAt,
      })
      .execute();
  }

  async get(id: string): Promise<ResumableRecord | null> {
    const r = await this.db
      .selectFrom('tus_uploads')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async pendingOf(owner: PendingOwner, now: number): Promise<{ count: number; bytes: number }> {
    let q = this.db
      .selectFrom('tus_uploads')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('length').as('bytes')])
      .where('file_id', 'is', null)
      .where('expires_at', '>', now);
    q =
      'ownerId' in owner
        ? q.where('owner_id', '=', owner.ownerId)
        : q.where('owner_id', 'is', null).where('owner_ip', '=', owner.ip);
    const r = await q.executeTakeFirst();
    return { count: num(r?.n ?? 0), bytes: num(r?.bytes ?? 0) };
  }

  async touch(id: string, expiresAt: number): Promise<void> {
    await this.writes.run((trx) =>
      trx
        .updateTable('tus_uploads')
        .set({ expires_at: expiresAt })
        .where('id', '=', id)
        .where('file_id', 'is', null)
        .execute(),
    );
  }

  async claim(id: string, now: number, staleBefore: number): Promise<boolean> {
    const res = await this.db
      .updateTable('tus_uploads')
      .set({ finished_at: now })
      .where('id', '=', id)
      .where('file_id', 'is', null)
      .where((eb) => eb.or([eb('finished_at', 'is', null), eb('finished_at', '<', staleBefore)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async finish(
    id: string,
    fileId: string,
    finishedAt: number,
    expiresAt: number,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('tus_uploads')
      .set({ file_id: fileId, finished_at: finishedAt, expires_at: expiresAt })
      .where('id', '=', id)
      .where('file_id', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('tus_uploads').where('id', '=', id).execute();
  }

  async expired(now: number, limit: number): Promise<ResumableRecord[]> {
    const rows = await this.db
      .selectFrom('tus_uploads')
      .selectAll()
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async unfinishedOf(ownerId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tus_uploads')
      .select('id')
      .where('owner_id', '=', ownerId)
      .where('file_id', 'is', null)
      .execute();
    return rows.map((r) => r.id);
  }
}
