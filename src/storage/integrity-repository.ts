import { sql } from 'kysely';
import type { BlobRow, IntegrityRepository, NodeRef } from '../core/integrity.js';
import type { Db } from './db.js';
import { num } from './schema.js';

export class KyselyIntegrityRepository implements IntegrityRepository {
  constructor(private readonly db: Db) {}

  async blobRows(): Promise<BlobRow[]> {
    // One statement, so each row's count and its references are read at the same moment; the
    // (blob_key) indexes of files and fs_nodes answer the subqueries.
    const rows = await this.db
      .selectFrom('blobs')
      .select((eb) => [
        'blobs.key',
        'blobs.location',
        'blobs.refcount',
        eb
          .selectFrom('files')
          .select((f) => f.fn.countAll().as('n'))
          .whereRef('files.blob_key', '=', 'blobs.key')
          .as('files'),
        eb
          .selectFrom('fs_nodes')
          .select((f) => f.fn.countAll().as('n'))
          .whereRef('fs_nodes.blob_key', '=', 'blobs.key')
          .as('nodes'),
      ])
      .execute();
    return rows.map((r) => ({
      key: r.key,
      location: r.location,
      refcount: num(r.refcount),
      files: num(r.files ?? 0),
      nodes: num(r.nodes ?? 0),
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
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('fs_nodes')
              .select(sql.lit(1).as('one'))
              .whereRef('fs_nodes.blob_key', '=', 'blobs.key'),
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

  async nodesOfBlob(key: string): Promise<NodeRef[]> {
    const rows = await this.db
      .selectFrom('fs_nodes')
      .innerJoin('users', 'users.id', 'fs_nodes.owner_id')
      .select(['fs_nodes.owner_id', 'users.username', 'fs_nodes.path'])
      .where('fs_nodes.blob_key', '=', key)
      .orderBy('users.username')
      .orderBy('fs_nodes.path')
      .execute();
    return rows.map((r) => ({ ownerId: r.owner_id, owner: r.username, path: r.path }));
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
