import type {
  DerivedRecord,
  MediaKind,
  MediaRecord,
  MediaRepository,
  MediaStatus,
} from '../core/media-ports.js';
import type { Db } from './db.js';
import { blobExists } from './file-repository.js';
import { num } from './schema.js';
import { WriteBatcher } from './write-batcher.js';

type MediaRow = {
  blob_key: string;
  kind: string;
  status: string;
  width: number | string | null;
  height: number | string | null;
  animated: number | string;
  duration_ms: number | string | null;
  taken_at: number | string | null;
  error: string | null;
  updated_at: number | string;
};

type DerivedRow = {
  blob_key: string;
  variant: string;
  location: string;
  size: number | string;
  width: number | string;
  height: number | string;
  created_at: number | string;
};

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

function mediaRecord(r: MediaRow): MediaRecord {
  return {
    blobKey: r.blob_key,
    kind: r.kind as MediaKind,
    status: r.status as MediaStatus,
    width: numOrNull(r.width),
    height: numOrNull(r.height),
    animated: num(r.animated) !== 0,
    durationMs: numOrNull(r.duration_ms),
    takenAt: numOrNull(r.taken_at),
    error: r.error,
    updatedAt: num(r.updated_at),
  };
}

function derivedRecord(r: DerivedRow): DerivedRecord {
  return {
    blobKey: r.blob_key,
    variant: r.variant,
    location: r.location,
    size: num(r.size),
    width: num(r.width),
    height: num(r.height),
    createdAt: num(r.created_at),
  };
}

/**
 * Media metadata and derived images (Kysely; portable SQL only). Writes go through a write
 * batcher of their own: each is one transaction that first checks the blob still exists, so
 * nothing is recorded for content deleted meanwhile (on SQLite writers are serialised; elsewhere
 * the start-up sweep removes the rare leftover).
 */
export class KyselyMediaRepository implements MediaRepository {
  private readonly writes: WriteBatcher;

  constructor(private readonly db: Db) {
    this.writes = new WriteBatcher(db);
  }

  async getMedia(blobKey: string): Promise<MediaRecord | null> {
    const row = await this.db
      .selectFrom('media')
      .selectAll()
      .where('blob_key', '=', blobKey)
      .executeTakeFirst();
    return row ? mediaRecord(row) : null;
  }

  async saveMedia(rec: MediaRecord): Promise<boolean> {
    const values = {
      kind: rec.kind,
      status: rec.status,
      width: rec.width,
      height: rec.height,
      animated: rec.animated ? 1 : 0,
      duration_ms: rec.durationMs,
      taken_at: rec.takenAt,
      error: rec.error,
      updated_at: rec.updatedAt,
    };
    return this.writes.run(async (trx) => {
      if (!(await blobExists.first(trx, rec.blobKey))) return false;
      await trx
        .insertInto('media')
        .values({ blob_key: rec.blobKey, ...values })
        .onConflict((oc) => oc.column('blob_key').doUpdateSet(values))
        .execute();
      return true;
    });
  }

  async getDerived(blobKey: string, variant: string): Promise<DerivedRecord | null> {
    const row = await this.db
      .selectFrom('derived_images')
      .selectAll()
      .where('blob_key', '=', blobKey)
      .where('variant', '=', variant)
      .executeTakeFirst();
    return row ? derivedRecord(row) : null;
  }

  async insertDerived(rec: DerivedRecord): Promise<DerivedRecord | null> {
    return this.writes.run(async (trx) => {
      if (!(await blobExists.first(trx, rec.blobKey))) return null;
      await trx
        .insertInto('derived_images')
        .values({
          blob_key: rec.blobKey,
          variant: rec.variant,
          location: rec.location,
          size: rec.size,
          width: rec.width,
          height: rec.height,
          created_at: rec.createdAt,
        })
        .onConflict((oc) => oc.columns(['blob_key', 'variant']).doNothing())
        .execute();
      const row = await trx
        .selectFrom('derived_images')
        .selectAll()
        .where('blob_key', '=', rec.blobKey)
        .where('variant', '=', rec.variant)
        .executeTakeFirst();
      return row ? derivedRecord(row) : null;
    });
  }

  async deleteDerived(blobKey: string, variant: string, location: string): Promise<void> {
    await this.writes.run((trx) =>
      trx
        .deleteFrom('derived_images')
        .where('blob_key', '=', blobKey)
        .where('variant', '=', variant)
        .where('location', '=', location)
        .execute(),
    );
  }

  async releaseBlobs(blobKeys: readonly string[]): Promise<string[]> {
    if (blobKeys.length === 0) return [];
    return this.writes.run(async (trx) => {
      // The same content uploaded again in the meantime: what was derived from it still holds.
      const alive = await trx
        .selectFrom('blobs')
        .select('key')
        .where('key', 'in', [...blobKeys])
        .execute();
      const stored = new Set(alive.map((r) => r.key));
      const gone = blobKeys.filter((k) => !stored.has(k));
      if (gone.length === 0) return [];
      const rows = await trx
        .deleteFrom('derived_images')
        .where('blob_key', 'in', gone)
        .returning('location')
        .execute();
      await trx.deleteFrom('media').where('blob_key', 'in', gone).execute();
      return rows.map((r) => r.location);
    });
  }

  async sweepOrphans(limit: number): Promise<string[]> {
    return this.writes.run(async (trx) => {
      const orphans = await trx
        .selectFrom('derived_images as d')
        .select(['d.blob_key', 'd.variant', 'd.location'])
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('blobs').select('key').whereRef('blobs.key', '=', 'd.blob_key'))),
        )
        .limit(limit)
        .execute();
      for (const o of orphans) {
        await trx
          .deleteFrom('derived_images')
          .where('blob_key', '=', o.blob_key)
          .where('variant', '=', o.variant)
          .where('location', '=', o.location)
          .execute();
      }
      await trx
        .deleteFrom('media')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(selectFrom('blobs').select('key').whereRef('blobs.key', '=', 'media.blob_key')),
          ),
        )
        .execute();
      return orphans.map((o) => o.location);
    });
  }
}
