import type { BlobToScan, ScanRepository, ScanResult } from '../core/scanning/records.js';
import type { ExpressionBuilder } from 'kysely';
import type { Db } from './db.js';
import { num, type Database } from './schema.js';

/** Scan results in the blob rows (portable SQL: conditional UPDATEs decide claims). */
export class KyselyScanRepository implements ScanRepository {
  constructor(private readonly db: Db) {}

  async claim(key: string, now: number, until: number): Promise<BlobToScan | null> {
    const res = await this.db
      .updateTable('blobs')
      .set({ scanned_at: until })
      .where('key', '=', key)
      .where('scan_status', 'is', null)
      .where((eb) => eb.or([eb('scanned_at', 'is', null), eb('scanned_at', '<=', now)]))
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return null;
    const row = await this.db
      .selectFrom('blobs')
      .select(['key', 'location', 'size'])
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? { key: row.key, location: row.location, size: num(row.size) } : null;
  }

  async release(key: string): Promise<void> {
    await this.db
      .updateTable('blobs')
      .set({ scanned_at: null })
      .where('key', '=', key)
      .where('scan_status', 'is', null)
      .execute();
  }

  async record(key: string, r: ScanResult, firstScan: boolean): Promise<boolean> {
    let q = this.db
      .updateTable('blobs')
      .set({
        scan_status: r.status,
        scan_signature: r.signature,
        scan_engine: r.engine,
        scanned_at: r.at,
      })
      .where('key', '=', key);
    if (firstScan) q = q.where('scan_status', 'is', null);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async listUnscanned(now: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('blobs')
      .select('key')
      .where('scan_status', 'is', null)
      .where((eb) => eb.or([eb('scanned_at', 'is', null), eb('scanned_at', '<=', now)]))
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.key);
  }

  async resetErrors(before: number): Promise<number> {
    const res = await this.db
      .updateTable('blobs')
      .set({ scan_status: null, scan_signature: null, scanned_at: null })
      .where('scan_status', '=', 'error')
      .where('scanned_at', '<', before)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async listForRescan(
    before: number | null,
    after: string | null,
    limit: number,
  ): Promise<BlobToScan[]> {
    let q = this.db.selectFrom('blobs').select(['key', 'location', 'size']);
    if (before !== null) q = q.where(stale(before));
    if (after !== null) q = q.where('key', '>', after);
    const rows = await q.orderBy('key').limit(limit).execute();
    return rows.map((r) => ({ key: r.key, location: r.location, size: num(r.size) }));
  }

  async countForRescan(before: number | null): Promise<{ count: number; bytes: number }> {
    let q = this.db
      .selectFrom('blobs')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('size').as('bytes')]);
    if (before !== null) q = q.where(stale(before));
    const row = await q.executeTakeFirstOrThrow();
    return { count: num(row.n as number), bytes: num((row.bytes ?? 0) as number) };
  }

  async fileIdsOf(key: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('files')
      .select('id')
      .where('blob_key', '=', key)
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }
}

/** No result, or a result older than `before`. */
function stale(before: number) {
  return (eb: ExpressionBuilder<Database, 'blobs'>) =>
    eb.or([eb('scan_status', 'is', null), eb('scanned_at', '<', before)]);
}
