import { sql, type SqlBool } from 'kysely';
import type {
  FsChange,
  FsNodeRecord,
  ListedParent,
  NodeTraffic,
  NodeType,
} from '../core/filesystem/types.js';
import { isPostgres, type Db } from './db.js';
import {
  below,
  CHILD_COLUMNS,
  childOf,
  getNode,
  nodeOf,
  selectNodes,
  within,
  type Trx,
} from './fs-sql.js';
import { num } from './schema.js';

/** The filesystem repository's reads (its writes: fs-repository.ts), on SQLite and PostgreSQL. */
export class KyselyFsReads {
  protected readonly pg: boolean;

  constructor(protected readonly db: Db) {
    this.pg = isPostgres(db);
  }

  get(ownerId: string, path: string): Promise<FsNodeRecord | null> {
    return getNode(this.db, ownerId, path);
  }

  async hasBlob(key: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('blobs')
      .select('key')
      .where('key', '=', key)
      .executeTakeFirst();
    return row !== undefined;
  }

  async getMany(ownerId: string, paths: readonly string[]): Promise<FsNodeRecord[]> {
    if (paths.length === 0) return [];
    const rows = await selectNodes(this.db)
      .where('fs_nodes.owner_id', '=', ownerId)
      .where('fs_nodes.path', 'in', [...paths])
      .execute();
    return rows.map((r) => nodeOf(r));
  }

  statOf(
    ownerId: string,
    path: string,
    ancestors: readonly string[],
  ): Promise<{ node: FsNodeRecord; ancestors: FsNodeRecord[]; children: FsNodeRecord[] } | null> {
    const read = async (trx: Trx) => {
      const node = await getNode(trx, ownerId, path);
      if (!node) return null;
      const above =
        ancestors.length === 0
          ? []
          : await selectNodes(trx)
              .where('fs_nodes.owner_id', '=', ownerId)
              .where('fs_nodes.path', 'in', [...ancestors])
              .execute();
      const children = node.type === 'dir' ? await this.listing(trx, node) : [];
      return { node, ancestors: above.map((r) => nodeOf(r)), children };
    };
    // PostgreSQL: one snapshot for the three reads (READ COMMITTED would take one each). SQLite:
    // the transaction holds the one connection, so no write commits between them.
    const trx = this.db.transaction();
    return (this.pg ? trx.setIsolationLevel('repeatable read') : trx).execute(read);
  }

  async byShareId(shareId: string): Promise<FsNodeRecord | null> {
    const row = await selectNodes(this.db)
      .where('fs_nodes.share_id', '=', shareId)
      .executeTakeFirst();
    return row ? nodeOf(row) : null;
  }

  /** A directory's children without their blobs' rows (see FsRepository.children). */
  private async listing(db: Trx, parent: ListedParent): Promise<FsNodeRecord[]> {
    // No join with blobs: 10,000 lookups by key were more than half of a big listing's query.
    const rows = await db
      .selectFrom('fs_nodes')
      .select(CHILD_COLUMNS)
      .where('parent_id', '=', parent.id)
      .execute();
    return rows.map((r) => childOf(parent, r));
  }

  async children(parent: ListedParent): Promise<FsNodeRecord[]> {
    return this.listing(this.db, parent);
  }

  async sharedBy(ownerId: string): Promise<FsNodeRecord[]> {
    const rows = await selectNodes(this.db)
      .where('fs_nodes.owner_id', '=', ownerId)
      .where('fs_nodes.share_id', 'is not', null)
      .orderBy('fs_nodes.path')
      .execute();
    return rows.map((r) => nodeOf(r));
  }

  async search(
    ownerId: string,
    base: string,
    term: string,
    limit: number,
  ): Promise<FsNodeRecord[]> {
    const pattern = `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await selectNodes(this.db)
      .where('fs_nodes.owner_id', '=', ownerId)
      .where(below(base))
      .where(sql<SqlBool>`lower(fs_nodes.name) like ${pattern} escape '\\'`)
      .orderBy('fs_nodes.path')
      .limit(limit)
      .execute();
    return rows.map((r) => nodeOf(r));
  }

  async filesUnder(ownerId: string, base: string, limit: number): Promise<FsNodeRecord[]> {
    const rows = await selectNodes(this.db)
      .where('fs_nodes.owner_id', '=', ownerId)
      .where('fs_nodes.type', '=', 'file')
      .where(below(base))
      .orderBy('fs_nodes.path')
      .limit(limit)
      .execute();
    return rows.map((r) => nodeOf(r));
  }

  async changes(ownerId: string, start: number, end: number, limit: number): Promise<FsChange[]> {
    const rows = await this.db
      .selectFrom('fs_changes')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('at', '>=', start)
      .where('at', '<=', end)
      .orderBy('at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      at: num(r.at),
      path: r.path,
      pathNew: r.path_new,
      action: r.action as FsChange['action'],
      type: r.type as NodeType,
    }));
  }

  async pruneChanges(before: number): Promise<number> {
    const res = await this.db.deleteFrom('fs_changes').where('at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async usageOf(ownerId: string): Promise<{ count: number; bytes: number }> {
    const row = await this.db
      .selectFrom('fs_nodes')
      .select((eb) => [eb.fn.countAll().as('count'), eb.fn.sum('size').as('bytes')])
      .where('owner_id', '=', ownerId)
      .where('type', '=', 'file')
      .executeTakeFirstOrThrow();
    return { count: num(row.count), bytes: num(row.bytes ?? 0) };
  }

  async trafficOf(ownerId: string, path: string): Promise<NodeTraffic & { ids: string[] }> {
    const rows = await this.db
      .selectFrom('fs_nodes')
      .select(['id', 'downloads', 'transfer'])
      .where('owner_id', '=', ownerId)
      .where('type', '=', 'file')
      .where(within(path))
      .execute();
    return {
      downloads: rows.reduce((n, r) => n + num(r.downloads), 0),
      bytes: rows.reduce((n, r) => n + num(r.transfer), 0),
      ids: rows.map((r) => r.id),
    };
  }
}
