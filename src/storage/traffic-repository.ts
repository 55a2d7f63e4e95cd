import { sql } from 'kysely';
import type { CounterReader } from '../core/traffic/live-stats.js';
import type { CounterDelta, TrafficRepository } from '../core/traffic/records.js';
import type { Db } from './db.js';

export class KyselyTrafficRepository implements TrafficRepository, CounterReader {
  constructor(private readonly db: Db) {}

  async addCounters(deltas: ReadonlyMap<string, CounterDelta>, at: number): Promise<void> {
    if (deltas.size === 0) return;
    // Ids in a fixed order: two nodes flushing overlapping batches lock rows in the same order.
    const ids = [...deltas.keys()].sort();
    await this.db.transaction().execute(async (trx) => {
      for (const id of ids) {
        const d = deltas.get(id)!;
        await trx
          .updateTable('files')
          .set({
            views: sql`views + ${d.views}`,
            downloads: sql`downloads + ${d.downloads}`,
            bandwidth_used: sql`bandwidth_used + ${d.bandwidth}`,
            bandwidth_paid: sql`bandwidth_paid + ${d.bandwidthPaid}`,
            ...(d.views > 0 ? { last_view_at: at } : {}),
          })
          .where('id', '=', id)
          .execute();
      }
    });
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
