import { sql } from 'kysely';
import type {
  Resolution,
  SeriesOwner,
  SeriesRepository,
  SeriesRow,
} from '../core/traffic/records.js';
import { isPostgres, type Db } from './db.js';
import { num } from './schema.js';

/** Any constant: rollup transactions of all nodes on one PostgreSQL database queue on it. */
const ROLLUP_ADVISORY_KEY = 7_340_014;

export class KyselySeriesRepository implements SeriesRepository {
  constructor(private readonly db: Db) {}

  async read(owner: SeriesOwner, from: number, to: number): Promise<SeriesRow[]> {
    const cols = [
      'resolution',
      'bucket',
      'views',
      'downloads',
      'bandwidth',
      'bandwidth_paid',
    ] as const;
    const rows =
      'file' in owner
        ? await this.db
            .selectFrom('file_traffic')
            .select(cols)
            .where('file_id', '=', owner.file)
            .where('bucket', '>=', from)
            .where('bucket', '<', to)
            .execute()
        : await this.db
            .selectFrom('user_traffic')
            .select(cols)
            .where('user_id', '=', owner.user)
            .where('bucket', '>=', from)
            .where('bucket', '<', to)
            .execute();
    return rows.map((r) => ({
      resolution: num(r.resolution),
      bucket: num(r.bucket),
      views: num(r.views),
      downloads: num(r.downloads),
      bandwidth: num(r.bandwidth),
      bandwidthPaid: num(r.bandwidth_paid),
    }));
  }

  async oldest(resolution: Resolution): Promise<number | null> {
    let min: number | null = null;
    for (const table of ['file_traffic', 'user_traffic'] as const) {
      const r = await this.db
        .selectFrom(table)
        .select((eb) => eb.fn.min('bucket').as('b'))
        .where('resolution', '=', resolution)
        .executeTakeFirst();
      if (r?.b !== null && r?.b !== undefined) {
        const b = num(r.b);
        if (min === null || b < min) min = b;
      }
    }
    return min;
  }

  async rollup(from: Resolution, to: Resolution, start: number, end: number): Promise<number> {
    const step = to * 60_000;
    return this.db.transaction().execute(async (trx) => {
      // Rollups of several nodes queue here; each statement then sees the rows the one before
      // moved as gone (READ COMMITTED), so nothing is summed twice. SQLite: one writer anyway.
      if (isPostgres(this.db))
        await sql`select pg_advisory_xact_lock(${ROLLUP_ADVISORY_KEY})`.execute(trx);
      let moved = 0;
      for (const [table, key] of [
        ['file_traffic', 'file_id'],
        ['user_traffic', 'user_id'],
      ] as const) {
        const t = sql.id(table);
        const k = sql.id(key);
        await sql`
          insert into ${t} (${k}, resolution, bucket, views, downloads, bandwidth, bandwidth_paid)
          select ${k}, cast(${to} as integer), bucket - (bucket % ${step}),
                 sum(views), sum(downloads), sum(bandwidth), sum(bandwidth_paid)
          from ${t}
          where resolution = ${from} and bucket >= ${start} and bucket < ${end}
          group by 1, 3
          on conflict (${k}, resolution, bucket) do update set
            views = ${t}.views + excluded.views,
            downloads = ${t}.downloads + excluded.downloads,
            bandwidth = ${t}.bandwidth + excluded.bandwidth,
            bandwidth_paid = ${t}.bandwidth_paid + excluded.bandwidth_paid
        `.execute(trx);
        const res = await trx
          .deleteFrom(table)
          .where('resolution', '=', from)
          .where('bucket', '>=', start)
          .where('bucket', '<', end)
          .executeTakeFirst();
        moved += Number(res.numDeletedRows);
      }
      return moved;
    });
  }
}
