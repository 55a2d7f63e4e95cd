import { sql } from 'kysely';
import type { CounterReader } from '../core/traffic/live-stats.js';
import type { CounterDelta, FileCounterDelta, TrafficRepository } from '../core/traffic/records.js';
import type { Db } from './db.js';
import type { TrafficBucket } from './schema.js';
import { retryConflicts } from './db-errors.js';

/** Rows per multi-row INSERT (7 parameters each: well under SQLite's and PostgreSQL's limits). */
const ROWS_PER_INSERT = 1000;

type BucketRow = TrafficBucket;

function bucketRow(minute: number, d: CounterDelta): BucketRow {
  return {
    resolution: 1,
    bucket: minute,
    views: d.views,
    downloads: d.downloads,
    bandwidth: d.bandwidth,
    bandwidth_paid: d.bandwidthPaid,
  };
}

export class KyselyTrafficRepository implements TrafficRepository, CounterReader {
  constructor(private readonly db: Db) {}

  async addCounters(deltas: ReadonlyMap<string, FileCounterDelta>, at: number): Promise<void> {
    if (deltas.size === 0) return;
    // Ids in a fixed order: two nodes flushing overlapping batches lock rows in the same order.
    const ids = [...deltas.keys()].sort();
    // A deadlock with a delete (its cascade into the rows this inserts) aborts the batch: again.
    await retryConflicts(() =>
      this.db.transaction().execute(async (trx) => {
        const fileRows: (BucketRow & { file_id: string })[] = [];
        // owner -> minute -> sum over their files in this batch
        const byUser = new Map<string, Map<number, CounterDelta>>();
        for (const id of ids) {
          const d = deltas.get(id)!;
          // The update locks the file's row (PostgreSQL) until commit, so a file it finds cannot be
          // deleted before its buckets are inserted; a file deleted before is skipped.
          const row = await trx
            .updateTable('files')
            .set({
              views: sql`views + ${d.views}`,
              downloads: sql`downloads + ${d.downloads}`,
              bandwidth_used: sql`bandwidth_used + ${d.bandwidth}`,
              bandwidth_paid: sql`bandwidth_paid + ${d.bandwidthPaid}`,
              ...(d.views > 0 ? { last_view_at: at } : {}),
            })
            .where('id', '=', id)
            .returning('owner_id')
            .executeTakeFirst();
          if (!row) continue;
          let userMinutes: Map<number, CounterDelta> | undefined;
          if (row.owner_id) {
            userMinutes = byUser.get(row.owner_id);
            if (!userMinutes) byUser.set(row.owner_id, (userMinutes = new Map()));
          }
          for (const [minute, m] of d.minutes) {
            fileRows.push({ file_id: id, ...bucketRow(minute, m) });
            if (userMinutes) {
              const u = userMinutes.get(minute);
              if (!u) userMinutes.set(minute, { ...m });
              else {
                u.views += m.views;
                u.downloads += m.downloads;
                u.bandwidth += m.bandwidth;
                u.bandwidthPaid += m.bandwidthPaid;
              }
            }
          }
        }
        const userRows: (BucketRow & { user_id: string })[] = [];
        for (const user of [...byUser.keys()].sort()) {
          for (const [minute, m] of byUser.get(user)!) {
            userRows.push({ user_id: user, ...bucketRow(minute, m) });
          }
        }
        for (let i = 0; i < fileRows.length; i += ROWS_PER_INSERT) {
          await trx
            .insertInto('file_traffic')
            .values(fileRows.slice(i, i + ROWS_PER_INSERT))
            .onConflict((oc) =>
              oc
                .columns(['file_id', 'resolution', 'bucket'])
                .doUpdateSet(addExcluded('file_traffic')),
            )
            .execute();
        }
        for (let i = 0; i < userRows.length; i += ROWS_PER_INSERT) {
          await trx
            .insertInto('user_traffic')
            .values(userRows.slice(i, i + ROWS_PER_INSERT))
            .onConflict((oc) =>
              oc
                .columns(['user_id', 'resolution', 'bucket'])
                .doUpdateSet(addExcluded('user_traffic')),
            )
            .execute();
        }
      }),
    );
  }

  /** The stored counters of these files, in one query (live stats). */
  async readCounters(ids: readonly string[]): Promise<Map<string, CounterDelta>> {
    const out = new Map<string, CounterDelta>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('files')
      .select(['id', 'views', 'downloads', 'bandwidth_used', 'bandwidth_paid'])
      .where('id', 'in', [...ids])
      .execute();
    for (const r of rows) {
      out.set(r.id, {
        views: Number(r.views),
        downloads: Number(r.downloads),
        bandwidth: Number(r.bandwidth_used),
        bandwidthPaid: Number(r.bandwidth_paid),
      });
    }
    return out;
  }
}

/** `SET col = table.col + excluded.col` for the four amounts (upsert adding). */
export function addExcluded(table: 'file_traffic' | 'user_traffic') {
  const t = sql.id(table);
  return {
    views: sql<number>`${t}.views + excluded.views`,
    downloads: sql<number>`${t}.downloads + excluded.downloads`,
    bandwidth: sql<number>`${t}.bandwidth + excluded.bandwidth`,
    bandwidth_paid: sql<number>`${t}.bandwidth_paid + excluded.bandwidth_paid`,
  };
}
