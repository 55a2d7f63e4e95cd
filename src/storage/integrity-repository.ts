import { sql } from 'kysely';
import type { IntegrityRepository } from '../core/integrity.js';
import type { Db } from './db.js';
import { num } from './schema.js';

export class KyselyIntegrityRepository implements IntegrityRepository {
  constructor(private readonly db: Db) {}

  async blobRows(): Promise<{ key: string; location: string; refcount: number; files: number }[]> {
    const rows = await this.db
      .selectFrom('blobs')
      .leftJoin('files', 'files.blob_key', 'blobs.key')
      .select((eb) => [
        'blobs.key',
        'blobs.location',
        'blobs.refcount',
        eb.fn.count('files.id').as('files'),
      ])
      .groupBy(['blobs.key', 'blobs.location', 'blobs.refcount'])
      .execute();
    return rows.map((r) => ({
      key: r.key,
      location: r.location,
      refcount: num(r.refcount),
      files: num(r.files),
    }));
  }

  async derivedLocations(): Promise<string[]> {
    const rows = await this.db.selectFrom('derived_images').select('location').execute();
    return rows.map((r) => r.location);
  }

  async setRefcount(key: string, refcount: number): Promise<void> {
    await this.db.updateTable('blobs').set({ refcount }).where('key', '=', key).execute();
  }

  async deleteBlobRow(key: string): Promise<void> {
    await this.db
      .deleteFrom('blobs')
      .where('key', '=', key)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('files')
              .select(sql.lit(1).as('one'))
              .whereRef('files.blob_key', '=', 'blobs.key'),
          ),
        ),
      )
      .execute();
  }

  async fileIdsOfBlob(key: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('files')
      .select('id')
      .where('blob_key', '=', key)
      .execute();
    return rows.map((r) => r.id);
  }

  async moveBlob(key: string, from: string, to: string): Promise<boolean> {
    const res = await this.db
      .updateTable('blobs')
      .set({ location: to })
      .where('key', '=', key)
      .where('location', '=', from)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async clearDerived(): Promise<number> {
    const res = await this.db.deleteFrom('derived_images').executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
