import type { FileRecord } from '../core/records.js';
import type { InviteRecord, InviteRepository, LimitsRepository } from '../core/limits/records.js';
import type { Db } from './db.js';
import { fileRecordOf } from './file-repository.js';
import { num } from './schema.js';

/** Usage queries and the inactivity timer (core/limits), on SQLite and PostgreSQL. */
export class KyselyLimitsRepository implements LimitsRepository {
  constructor(private readonly db: Db) {}

  async usageOf(ownerId: string): Promise<{ count: number; bytes: number }> {
    const [files, nodes] = await Promise.all([
      this.db
        .selectFrom('files')
        .select((eb) => [eb.fn.countAll().as('count'), eb.fn.sum('size').as('bytes')])
        .where('owner_id', '=', ownerId)
        .executeTakeFirstOrThrow(),
      // The account's file nodes (filesystem API) hold content as its files do.
      this.db
        .selectFrom('fs_nodes')
        .select((eb) => [eb.fn.countAll().as('count'), eb.fn.sum('size').as('bytes')])
        .where('owner_id', '=', ownerId)
        .where('type', '=', 'file')
        .executeTakeFirstOrThrow(),
    ]);
    return {
      count: num(files.count) + num(nodes.count),
      bytes: num(files.bytes ?? 0) + num(nodes.bytes ?? 0),
    };
  }

  async uploadedSince(ownerId: string, since: number): Promise<number> {
    const [files, nodes] = await Promise.all([
      // The (owner_id, created_at) index (0009) answers this with a range scan.
      this.db
        .selectFrom('files')
        .select((eb) => eb.fn.sum<number | string>('size').as('bytes'))
        .where('owner_id', '=', ownerId)
        .where('created_at', '>=', since)
        .executeTakeFirstOrThrow(),
      // File nodes by when their content was last written (a PUT over a node writes it anew);
      // the owner's nodes are read through the (owner_id, path) index.
      this.db
        .selectFrom('fs_nodes')
        .select((eb) => eb.fn.sum<number | string>('size').as('bytes'))
        .where('owner_id', '=', ownerId)
        .where('type', '=', 'file')
        .where('updated_at', '>=', since)
        .executeTakeFirstOrThrow(),
    ]);
    return num(files.bytes ?? 0) + num(nodes.bytes ?? 0);
  }

  async listInactive(cutoff: number, limit: number): Promise<FileRecord[]> {
    const rows = await this.db
      .selectFrom('files')
      .innerJoin('blobs', 'blobs.key', 'files.blob_key')
      .leftJoin('users', 'users.id', 'files.owner_id')
      .selectAll('files')
      .select(['blobs.location', 'blobs.scan_status', 'blobs.scan_signature'])
      .where('files.last_download_at', '<=', cutoff)
      .where((eb) => eb.or([eb('users.id', 'is', null), eb('users.expiry_exempt', '=', 0)]))
      .orderBy('files.last_download_at')
      .limit(limit)
      .execute();
    return rows.map(fileRecordOf);
  }

  async resetTimers(ids: readonly string[], at: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db
        .updateTable('files')
        .set({ last_download_at: at })
        .where('id', 'in', ids.slice(i, i + 500))
        .where('last_download_at', '<', at)
        .execute();
    }
  }

  async exemptUsers(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('users')
      .select('id')
      .where('expiry_exempt', '=', 1)
      .execute();
    return rows.map((r) => r.id);
  }
}

type InviteRow = {
  code_hash: string;
  created_by: string;
  created_at: number | string;
  expires_at: number | string;
  used_at: number | string | null;
  used_by: string | null;
};

function inviteOf(r: InviteRow): InviteRecord {
  return {
    codeHash: r.code_hash,
    createdBy: r.created_by,
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    usedAt: r.used_at === null ? null : num(r.used_at),
    usedBy: r.used_by,
  };
}

/** Registration invites (table invites, 0009). */
export class KyselyInviteRepository implements InviteRepository {
  constructor(private readonly db: Db) {}

  async insert(i: InviteRecord): Promise<void> {
    await this.db
      .insertInto('invites')
      .values({
        code_hash: i.codeHash,
        created_by: i.createdBy,
        created_at: i.createdAt,
        expires_at: i.expiresAt,
        used_at: i.usedAt,
        used_by: i.usedBy,
      })
      .execute();
  }

  async list(limit: number, offset: number): Promise<{ invites: InviteRecord[]; total: number }> {
    const rows = await this.db
      .selectFrom('invites')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('code_hash')
      .limit(limit)
      .offset(offset)
      .execute();
    const total = await this.db
      .selectFrom('invites')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return { invites: rows.map(inviteOf), total: num(total.n) };
  }

  async consume(codeHash: string, now: number, usedBy: string): Promise<boolean> {
    const res = await this.db
      .updateTable('invites')
      .set({ used_at: now, used_by: usedBy })
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async release(codeHash: string): Promise<void> {
    await this.db
      .updateTable('invites')
      .set({ used_at: null, used_by: null })
      .where('code_hash', '=', codeHash)
      .execute();
  }
}
