import { sql } from 'kysely';
import type { CounterDelta, TrafficRepository } from '../core/traffic/records.js';
import type { Db } from './db.js';

export class KyselyTrafficRepository implements TrafficRepository {
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
}
