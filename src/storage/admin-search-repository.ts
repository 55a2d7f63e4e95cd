import { sql } from 'kysely';
import type {
  AdminFileRecord,
  AdminSearchRepository,
  AdminUserRecord,
  FileSearchBy,
  InstanceStats,
  Page,
} from '../core/moderation/admin-search.js';
import { escapeLike } from '../core/moderation/admin-search.js';
import type { Db } from './db.js';
import { fileRecordOf } from './file-repository.js';
import { num } from './schema.js';
import { userRecord } from './user-repository.js';

/** Case-insensitive substring pattern for `lower(col) like ? escape '\'`. */
const contains = (q: string) => `%${escapeLike(q.toLowerCase())}%`;

export class KyselyAdminSearchRepository implements AdminSearchRepository {
  constructor(private readonly db: Db) {}

  private base() {
    return this.db
      .selectFrom('files')
      .innerJoin('blobs', 'blobs.key', 'files.blob_key')
      .leftJoin('users', 'users.id', 'files.owner_id');
  }

  private select(q: ReturnType<KyselyAdminSearchRepository['base']>) {
    return q
      .selectAll('files')
      .select([
        'blobs.location',
        'blobs.scan_status',
        'blobs.scan_signature',
        'blobs.scan_engine',
        'blobs.scanned_at',
        'users.username as owner_name',
      ]);
  }

  private recordOf(
    r: Parameters<typeof fileRecordOf>[0] & {
      scan_engine: string | null;
      scanned_at: number | string | null;
      owner_name: string | null;
    },
  ): AdminFileRecord {
    const file = fileRecordOf(r);
    return {
      file,
      owner: file.ownerId && r.owner_name ? { id: file.ownerId, username: r.owner_name } : null,
      scanEngine: r.scan_engine,
      scannedAt: r.scanned_at === null ? null : num(r.scanned_at),
    };
  }

  async files(by: FileSearchBy, q: string, page: Page) {
    let base = this.base();
    if (q !== '') {
      switch (by) {
        case 'id':
          base = base.where('files.id', '=', q);
          break;
        case 'sha256':
          base = base.where('files.blob_key', '=', q);
          break;
        case 'ip':
          base = base.where('files.uploader_ip', '=', q);
          break;
        case 'user':
          base = base.where(sql<boolean>`lower(users.username) = ${q.toLowerCase()}`);
          break;
        case 'name':
          base = base.where(sql<boolean>`lower(files.name) like ${contains(q)} escape '\\'`);
          break;
      }
    }
    const [rows, count] = await Promise.all([
      this.select(base)
        .orderBy('files.created_at', 'desc')
        .orderBy('files.id')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { files: rows.map((r) => this.recordOf(r)), total: num(count.n) };
  }

  async file(id: string): Promise<AdminFileRecord | null> {
    const row = await this.select(this.base()).where('files.id', '=', id).executeTakeFirst();
    return row ? this.recordOf(row) : null;
  }

  async filesOf(userId: string, limit: number): Promise<AdminFileRecord[]> {
    const rows = await this.select(this.base())
      .where('files.owner_id', '=', userId)
      .orderBy('files.created_at', 'desc')
      .orderBy('files.id')
      .limit(limit)
      .execute();
    return rows.map((r) => this.recordOf(r));
  }

  async users(q: string, page: Page) {
    let base = this.db.selectFrom('users');
    if (q !== '')
      base = base.where(
        sql<boolean>`(lower(username) like ${contains(q)} escape '\\' or lower(coalesce(email, '')) like ${contains(q)} escape '\\')`,
      );
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    const usage = await this.usage(rows.map((r) => r.id));
    return {
      total: num(count.n),
      users: rows.map((r) => ({
        user: userRecord(r),
        ...(usage.get(r.id) ?? { fileCount: 0, storageUsed: 0 }),
      })),
    };
  }

  async user(id: string): Promise<AdminUserRecord | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    const usage = await this.usage([id]);
    return { user: userRecord(row), ...(usage.get(id) ?? { fileCount: 0, storageUsed: 0 }) };
  }

  private async usage(ids: readonly string[]) {
    const out = new Map<string, { fileCount: number; storageUsed: number }>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('files')
      .select((eb) => [
        'owner_id',
        eb.fn.countAll().as('n'),
        eb.fn.coalesce(eb.fn.sum('size'), sql`0`).as('bytes'),
      ])
      .where('owner_id', 'in', [...ids])
      .groupBy('owner_id')
      .execute();
    for (const r of rows)
      if (r.owner_id) out.set(r.owner_id, { fileCount: num(r.n), storageUsed: num(r.bytes) });
    return out;
  }

  async stats(): Promise<InstanceStats> {
    const count = (t: 'users' | 'blocked_hashes') =>
      this.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
        .then((r) => num(r.n));
    const [files, blobs, users, blocked, hashes, scans] = await Promise.all([
      this.db
        .selectFrom('files')
        .select((eb) => [
          eb.fn.countAll().as('n'),
          eb.fn.coalesce(eb.fn.sum('size'), sql`0`).as('b'),
        ])
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('blobs')
        .select((eb) => [
          eb.fn.countAll().as('n'),
          eb.fn.coalesce(eb.fn.sum('size'), sql`0`).as('b'),
        ])
        .executeTakeFirstOrThrow(),
      count('users'),
      this.db
        .selectFrom('files')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('abuse_type', 'is not', null)
        .where('abuse_type', '!=', '')
        .executeTakeFirstOrThrow()
        .then((r) => num(r.n)),
      count('blocked_hashes'),
      this.db
        .selectFrom('blobs')
        .select((eb) => ['scan_status', eb.fn.countAll().as('n')])
        .groupBy('scan_status')
        .execute(),
    ]);
    const byStatus = { pending: 0, clean: 0, infected: 0, error: 0, unscanned: 0 };
    for (const s of scans) {
      const k = (s.scan_status ?? 'pending') as keyof typeof byStatus;
      if (k in byStatus) byStatus[k] += num(s.n);
    }
    return {
      files: num(files.n),
      fileBytes: num(files.b),
      blobs: num(blobs.n),
      blobBytes: num(blobs.b),
      users,
      filesBlocked: blocked,
      hashesBlocked: hashes,
      scans: byStatus,
    };
  }
}
