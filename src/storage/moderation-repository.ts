import type {
  AbuseReport,
  ReportQuery,
  ReportRepository,
  ReportStatus,
} from '../core/moderation/reports.js';
import { HASHED_PREFIX } from '../core/moderation/reports.js';
import type { BlockedHash, BlockRepository, FileBlock } from '../core/moderation/blocks.js';
import type { Db } from './db.js';
import { num } from './schema.js';

type ReportRow = {
  id: string;
  file_id: string;
  type: string;
  description: string;
  reporter_ip: string;
  reporter_user_id: string | null;
  created_at: number | string;
  status: string;
  resolved_at: number | string | null;
  resolved_by: string | null;
  resolution: string | null;
};

function reportOf(r: ReportRow): AbuseReport {
  return {
    id: r.id,
    fileId: r.file_id,
    type: r.type,
    description: r.description,
    reporterIp: r.reporter_ip,
    reporterUserId: r.reporter_user_id,
    createdAt: num(r.created_at),
    status: r.status as ReportStatus,
    resolvedAt: r.resolved_at === null ? null : num(r.resolved_at),
    resolvedBy: r.resolved_by,
    resolution: r.resolution,
  };
}

export class KyselyReportRepository implements ReportRepository {
  constructor(private readonly db: Db) {}

  async insert(r: AbuseReport): Promise<void> {
    await this.db
      .insertInto('abuse_reports')
      .values({
        id: r.id,
        file_id: r.fileId,
        type: r.type,
        description: r.description,
        reporter_ip: r.reporterIp,
        reporter_user_id: r.reporterUserId,
        created_at: r.createdAt,
        status: r.status,
        resolved_at: r.resolvedAt,
        resolved_by: r.resolvedBy,
        resolution: r.resolution,
      })
      .execute();
  }

  async get(id: string): Promise<AbuseReport | null> {
    const row = await this.db
      .selectFrom('abuse_reports')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? reportOf(row) : null;
  }

  async list(q: ReportQuery): Promise<{ reports: AbuseReport[]; total: number }> {
    let base = this.db.selectFrom('abuse_reports');
    if (q.status) base = base.where('status', '=', q.status);
    if (q.fileId) base = base.where('file_id', '=', q.fileId);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(q.limit)
        .offset(q.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { reports: rows.map(reportOf), total: num(count.n) };
  }

  async existsFrom(fileId: string, ips: readonly string[]): Promise<boolean> {
    if (ips.length === 0) return false;
    const row = await this.db
      .selectFrom('abuse_reports')
      .select('id')
      .where('file_id', '=', fileId)
      .where('reporter_ip', 'in', [...ips])
      .executeTakeFirst();
    return row !== undefined;
  }

  async close(
    which: { ids: readonly string[] } | { fileId: string },
    status: Exclude<ReportStatus, 'open'>,
    by: { at: number; name: string; resolution: string },
  ): Promise<string[]> {
    return this.db.transaction().execute(async (trx) => {
      // A file's open reports; named reports whatever their state (one acted on after all).
      let q = trx.selectFrom('abuse_reports').select('id');
      q =
        'ids' in which
          ? q.where('id', 'in', [...which.ids, ''])
          : q.where('file_id', '=', which.fileId).where('status', '=', 'open');
      const ids = (await q.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      await trx
        .updateTable('abuse_reports')
        .set({ status, resolved_at: by.at, resolved_by: by.name, resolution: by.resolution })
        .where('id', 'in', ids)
        .execute();
      return ids;
    });
  }

  async unhashedBefore(before: number, limit: number) {
    const rows = await this.db
      .selectFrom('abuse_reports')
      .select(['id', 'reporter_ip'])
      .where('created_at', '<', before)
      .where('reporter_ip', 'not like', `${HASHED_PREFIX}%`)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, reporterIp: r.reporter_ip }));
  }

  async setReporterIp(id: string, reporterIp: string): Promise<void> {
    await this.db
      .updateTable('abuse_reports')
      .set({ reporter_ip: reporterIp })
      .where('id', '=', id)
      .execute();
  }

  async countOpen(): Promise<number> {
    const row = await this.db
      .selectFrom('abuse_reports')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return num(row.n);
  }
}

export class KyselyBlockRepository implements BlockRepository {
  constructor(private readonly db: Db) {}

  async setBlock(fileIds: readonly string[], block: FileBlock | null): Promise<number> {
    if (fileIds.length === 0) return 0;
    const r = await this.db
      .updateTable('files')
      .set({
        abuse_type: block?.abuseType ?? null,
        block_reason: block?.reason ?? null,
        blocked_at: block?.at ?? null,
      })
      .where('id', 'in', [...fileIds])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async fileIdsWithContent(sha256: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('files')
      .select('id')
      .where('blob_key', '=', sha256)
      .execute();
    return rows.map((r) => r.id);
  }

  async insertHash(h: BlockedHash): Promise<boolean> {
    const r = await this.db
      .insertInto('blocked_hashes')
      .values({
        blob_key: h.sha256,
        reason: h.reason,
        created_at: h.createdAt,
        created_by: h.createdBy,
      })
      .onConflict((oc) => oc.column('blob_key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteHash(sha256: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('blocked_hashes')
      .where('blob_key', '=', sha256)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async someHashes(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('blocked_hashes')
      .select('blob_key')
      .limit(limit)
      .execute();
    return rows.map((r) => r.blob_key);
  }

  async isHashBlocked(sha256: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('blocked_hashes')
      .select('blob_key')
      .where('blob_key', '=', sha256)
      .executeTakeFirst();
    return row !== undefined;
  }

  async listHashes(limit: number, offset: number) {
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('blocked_hashes')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('blob_key')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db
        .selectFrom('blocked_hashes')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return {
      total: num(count.n),
      hashes: rows.map((r) => ({
        sha256: r.blob_key,
        reason: r.reason,
        createdAt: num(r.created_at),
        createdBy: r.created_by,
      })),
    };
  }
}
