import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { randomBytes } from 'node:crypto';
import { INLINE_LOCATION } from '../core/blob-store.js';
import { FsError } from '../core/filesystem/errors.js';
import {
  LIMITS,
  ancestorsOf,
  checkLimits,
  depthOf,
  nameOf,
  parentOf,
} from '../core/filesystem/paths.js';
import {
  BlobGone,
  type FileWrite,
  type FileWriteResult,
  type FsChange,
  type FsNodeRecord,
  type FsRepository,
  type NodeType,
  type ReleasedBlob,
} from '../core/filesystem/types.js';
import type { FileRecord } from '../core/records.js';
import { isRetryableConflict, isUniqueViolation } from './db-errors.js';
import { isPostgres, type Db } from './db.js';
import { num, type Database } from './schema.js';
import { JobRefused, WriteBatcher } from './write-batcher.js';

type Trx = Kysely<Database>;

const parseJson = <T>(s: string | null): T | null => {
  if (!s) return null;
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
};

/** A node's row, with its blob's location and scan status when joined (see `children`). */
type NodeRow = Selectable<Database['fs_nodes']> & {
  location?: string | null;
  scan_status?: string | null;
};

function nodeOf(r: NodeRow): FsNodeRecord {
  return {
    id: r.id,
    ownerId: r.owner_id,
    parentId: r.parent_id,
    path: r.path,
    name: r.name,
    type: r.type,
    depth: num(r.depth),
    createdAt: num(r.created_at),
    modifiedAt: num(r.modified_at),
    updatedAt: num(r.updated_at),
    mode: num(r.mode),
    size: num(r.size ?? 0),
    blobKey: r.blob_key,
    blobLocation: r.location ?? null,
    mimeType: r.mime_type,
    shareId: r.share_id,
    linkPermissions: parseJson(r.link_permissions),
    userPermissions: parseJson(r.user_permissions),
    passwordPermissions: parseJson(r.password_permissions),
    properties: parseJson(r.properties),
    scanStatus: r.scan_status ?? null,
  };
}

const changeId = () => randomBytes(12).toString('base64url');

/** Keys per statement when references are dropped (well under both databases' parameter limits). */
const UNREF_CHUNK = 500;

/**
 * The filesystem's trees on SQLite and PostgreSQL. Every write is one transaction (a savepoint in
 * a group-committed batch): checks first, then writes, and a refusal rolls back only its own
 * statements. Paths are whole strings, so a subtree is "path equals, or starts with path + '/'",
 * compared with substr/length the database computes (the same character counting on both sides).
 *
 * Concurrency: on SQLite write transactions run one at a time. On PostgreSQL (READ COMMITTED,
 * several processes) each write first locks the nodes it relies on: the ancestors of the paths it
 * writes (FOR SHARE: they must stay where they are until it commits) and the node it changes
 * (FOR UPDATE). A move or delete of a directory thus waits for writes below it to commit and then
 * sees them, or they wait for it and then find the directory gone; two writers of one node take
 * turns, each reading what the other committed.
 */
export class KyselyFsRepository implements FsRepository {
  private readonly writes: WriteBatcher;
  private readonly pg: boolean;

  constructor(private readonly db: Db) {
    this.writes = new WriteBatcher(db);
    this.pg = isPostgres(db);
  }

  private tx<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.writes.run(async (trx) => {
      for (let attempt = 1; ; attempt++) {
        await sql`savepoint fs_op`.execute(trx);
        try {
          const out = await fn(trx);
          await sql`release savepoint fs_op`.execute(trx);
          return out;
        } catch (err) {
          try {
            await sql`rollback to savepoint fs_op`.execute(trx);
            await sql`release savepoint fs_op`.execute(trx);
          } catch {
            throw err;
          }
          // A deadlock aborts the batch, which runs again.
          if (isRetryableConflict(err)) throw err;
          // Another process made a node at the same path meanwhile (PostgreSQL): the checks run
          // again and now see it (each statement reads what is committed).
          if (isUniqueViolation(err) && attempt < 3) continue;
          // Anything else fails this operation alone.
          throw new JobRefused(err);
        }
      }
    });
  }

  /**
   * PostgreSQL: lock the existing nodes at these paths (a write's ancestors) so that they are
   * neither moved nor deleted before this transaction commits. Locked top-down (by depth), as every
   * write does, which keeps deadlocks rare (PostgreSQL breaks those, and the batch runs again).
   */
  private async lockShared(trx: Trx, ownerId: string, paths: readonly string[]): Promise<void> {
    if (!this.pg || paths.length === 0) return;
    await trx
      .selectFrom('fs_nodes')
      .select('id')
      .where('owner_id', '=', ownerId)
      .where('path', 'in', [...new Set(paths)])
      .orderBy('depth')
      .forShare()
      .execute();
  }

  /**
   * The node at a path, locked for this transaction (PostgreSQL: FOR UPDATE; a concurrent writer
   * of it commits first, and what is read is what it left).
   */
  private async lockNode(trx: Trx, ownerId: string, path: string): Promise<FsNodeRecord | null> {
    if (this.pg) {
      await trx
        .selectFrom('fs_nodes')
        .select('id')
        .where('owner_id', '=', ownerId)
        .where('path', '=', path)
        .forUpdate()
        .execute();
    }
    return this.getIn(trx, ownerId, path);
  }

  private select(db: Trx = this.db) {
    return db
      .selectFrom('fs_nodes')
      .leftJoin('blobs', 'blobs.key', 'fs_nodes.blob_key')
      .selectAll('fs_nodes')
      .select(['blobs.location', 'blobs.scan_status']);
  }

  /** Strictly below `base` ('' is the root: everything but the root). */
  private below(base: string): Expression<SqlBool> {
    if (base === '') return sql<SqlBool>`fs_nodes.path <> ''`;
    return sql<SqlBool>`substr(fs_nodes.path, 1, length(cast(${base} as text)) + 1) = cast(${base} as text) || '/'`;
  }

  private within(base: string): Expression<SqlBool> {
    if (base === '') return sql<SqlBool>`1 = 1`;
    return sql<SqlBool>`(fs_nodes.path = ${base} or ${this.below(base)})`;
  }

  private async getIn(db: Trx, ownerId: string, path: string): Promise<FsNodeRecord | null> {
    const row = await this.select(db)
      .where('fs_nodes.owner_id', '=', ownerId)
      .where('fs_nodes.path', '=', path)
      .executeTakeFirst();
    return row ? nodeOf(row) : null;
  }

  async root(ownerId: string, now: number, newId: () => string): Promise<FsNodeRecord> {
    const found = await this.get(ownerId, '');
    if (found) return found;
    await this.tx(async (trx) => {
      await trx
        .insertInto('fs_nodes')
        .values({
          id: newId(),
          owner_id: ownerId,
          parent_id: null,
          path: '',
          name: '',
          type: 'dir',
          depth: 0,
          created_at: now,
          modified_at: now,
          updated_at: now,
          mode: 0o755,
        })
        .onConflict((oc) => oc.columns(['owner_id', 'path']).doNothing())
        .execute();
    });
    const made = await this.get(ownerId, '');
    if (!made) throw new Error('the root node could not be made');
    return made;
  }

  get(ownerId: string, path: string): Promise<FsNodeRecord | null> {
    return this.getIn(this.db, ownerId, path);
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
    const rows = await this.select()
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
      const node = await this.getIn(trx, ownerId, path);
      if (!node) return null;
      const above =
        ancestors.length === 0
          ? []
          : await this.select(trx)
              .where('fs_nodes.owner_id', '=', ownerId)
              .where('fs_nodes.path', 'in', [...ancestors])
              .execute();
      const children = node.type === 'dir' ? await this.listing(trx, node.id) : [];
      return {
        node,
        ancestors: above.map((r) => nodeOf(r)),
        children: children.map((r) => nodeOf(r)),
      };
    };
    // PostgreSQL: one snapshot for the three reads (READ COMMITTED would take one each). SQLite:
    // the transaction holds the one connection, so no write commits between them.
    const trx = this.db.transaction();
    return (this.pg ? trx.setIsolationLevel('repeatable read') : trx).execute(read);
  }

  async byShareId(shareId: string): Promise<FsNodeRecord | null> {
    const row = await this.select().where('fs_nodes.share_id', '=', shareId).executeTakeFirst();
    return row ? nodeOf(row) : null;
  }

  /** A directory's children without their blobs' rows (see FsRepository.children). */
  private listing(db: Trx, parentId: string) {
    // No join with blobs: 10,000 lookups by key were more than half of a big listing's query.
    return db.selectFrom('fs_nodes').selectAll().where('parent_id', '=', parentId).execute();
  }

  async children(parentId: string): Promise<FsNodeRecord[]> {
    return (await this.listing(this.db, parentId)).map((r) => nodeOf(r));
  }

  async sharedBy(ownerId: string): Promise<FsNodeRecord[]> {
    const rows = await this.select()
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
    const rows = await this.select()
      .where('fs_nodes.owner_id', '=', ownerId)
      .where(this.below(base))
      .where(sql<SqlBool>`lower(fs_nodes.name) like ${pattern} escape '\\'`)
      .orderBy('fs_nodes.path')
      .limit(limit)
      .execute();
    return rows.map((r) => nodeOf(r));
  }

  async filesUnder(ownerId: string, base: string, limit: number): Promise<FsNodeRecord[]> {
    const rows = await this.select()
      .where('fs_nodes.owner_id', '=', ownerId)
      .where('fs_nodes.type', '=', 'file')
      .where(this.below(base))
      .orderBy('fs_nodes.path')
      .limit(limit)
      .execute();
    return rows.map((r) => nodeOf(r));
  }

  /** The directory a new child goes into: it must exist and be a directory, with room left. */
  private async parentFor(trx: Trx, ownerId: string, path: string): Promise<FsNodeRecord> {
    const parent = await this.getIn(trx, ownerId, parentOf(path));
    if (!parent) throw new FsError('path_not_found', 'The parent directory does not exist');
    if (parent.type !== 'dir') {
      throw new FsError('node_is_not_a_directory', 'A parent of this path is a file');
    }
    const row = await trx
      .selectFrom('fs_nodes')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('parent_id', '=', parent.id)
      .executeTakeFirstOrThrow();
    if (num(row.n) >= LIMITS.children) {
      throw new FsError('too_many_children', 'The directory has 10,000 nodes already', {
        max: LIMITS.children,
      });
    }
    return parent;
  }

  private async change(trx: Trx, ownerId: string, c: FsChange): Promise<void> {
    await trx
      .insertInto('fs_changes')
      .values({
        id: changeId(),
        owner_id: ownerId,
        at: c.at,
        path: c.path,
        path_new: c.pathNew,
        action: c.action,
        type: c.type,
      })
      .execute();
  }

  /** Directories along `path`'s ancestors that are missing, made (each parent checked). */
  private async makeDirs(
    trx: Trx,
    ownerId: string,
    paths: readonly string[],
    fields: { now: number; mode: number; exclusiveLast: boolean; newId(): string },
  ): Promise<FsNodeRecord> {
    let last: FsNodeRecord | null = null;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      const existing = await this.getIn(trx, ownerId, path);
      if (existing) {
        if (i === paths.length - 1 && fields.exclusiveLast) {
          throw new FsError('node_already_exists', 'A node with this name already exists');
        }
        if (existing.type !== 'dir') {
          throw new FsError('node_is_not_a_directory', 'A parent of this path is a file');
        }
        last = existing;
        continue;
      }
      checkLimits(path);
      const parent = await this.parentFor(trx, ownerId, path);
      await trx
        .insertInto('fs_nodes')
        .values({
          id: fields.newId(),
          owner_id: ownerId,
          parent_id: parent.id,
          path,
          name: nameOf(path),
          type: 'dir',
          depth: depthOf(path),
          created_at: fields.now,
          modified_at: fields.now,
          updated_at: fields.now,
          mode: fields.mode,
        })
        .execute();
      await this.change(trx, ownerId, {
        at: fields.now,
        path,
        pathNew: '',
        action: 'created',
        type: 'dir',
      });
      last = await this.getIn(trx, ownerId, path);
    }
    if (!last) throw new FsError('path_not_found');
    return last;
  }

  mkdirs(
    ownerId: string,
    paths: readonly string[],
    fields: { now: number; mode: number; exclusiveLast: boolean; newId(): string },
  ): Promise<FsNodeRecord> {
    return this.tx(async (trx) => {
      await this.lockShared(trx, ownerId, ancestorsOf(paths[paths.length - 1] ?? ''));
      return this.makeDirs(trx, ownerId, paths, fields);
    });
  }

  /** Missing parents of `path` (when asked to make them), else the parent must exist. */
  private async ensureParents(
    trx: Trx,
    ownerId: string,
    path: string,
    opts: { makeParents: boolean; now: number; newId(): string },
  ): Promise<void> {
    const parent = parentOf(path);
    if (parent === '' || !opts.makeParents) return;
    const chain: string[] = [];
    for (let i = parent.indexOf('/', 1); i !== -1; i = parent.indexOf('/', i + 1)) {
      chain.push(parent.slice(0, i));
    }
    chain.push(parent);
    await this.makeDirs(trx, ownerId, chain, {
      now: opts.now,
      mode: 0o755,
      exclusiveLast: false,
      newId: opts.newId,
    });
  }

  /** Take one reference on a blob (inserting its row when ours is the first); its location. */
  private async refBlob(trx: Trx, w: FileWrite): Promise<string> {
    const b = w.blob;
    if (b.location === null) {
      const row = await trx
        .updateTable('blobs')
        .set({ refcount: sql`refcount + 1` })
        .where('key', '=', b.key)
        .returning('location')
        .executeTakeFirst();
      if (!row) throw new BlobGone();
      return row.location;
    }
    const row = await trx
      .insertInto('blobs')
      .values({
        key: b.key,
        location: b.inline ? INLINE_LOCATION : b.location,
        size: b.size,
        refcount: 1,
        data: b.inline ?? null,
        created_at: w.now,
      })
      .onConflict((oc) => oc.column('key').doUpdateSet({ refcount: sql`blobs.refcount + 1` }))
      .returning('location')
      .executeTakeFirstOrThrow();
    return row.location;
  }

  /**
   * Drop references on blobs (a count per key); those left with none are removed and returned.
   * Set-based, so a recursive delete of 10,000 files is a few dozen statements, not 20,000: keys
   * are grouped by how many references they lose (almost always 1), and each chunk of a group is
   * one DELETE of the rows that reach zero and one UPDATE of the others (disjoint by refcount).
   */
  private async unrefBlobs(trx: Trx, counts: Map<string, number>): Promise<ReleasedBlob[]> {
    const byCount = new Map<number, string[]>();
    for (const [key, n] of counts) {
      const keys = byCount.get(n);
      if (keys) keys.push(key);
      else byCount.set(n, [key]);
    }
    const released: ReleasedBlob[] = [];
    for (const [n, keys] of byCount) {
      for (let i = 0; i < keys.length; i += UNREF_CHUNK) {
        const chunk = keys.slice(i, i + UNREF_CHUNK);
        const gone = await trx
          .deleteFrom('blobs')
          .where('key', 'in', chunk)
          .where('refcount', '<=', n)
          .returning(['key', 'location'])
          .execute();
        for (const row of gone) released.push({ key: row.key, location: row.location });
        if (gone.length < chunk.length) {
          await trx
            .updateTable('blobs')
            .set({ refcount: sql`refcount - ${n}` })
            .where('key', 'in', chunk)
            .where('refcount', '>', n)
            .execute();
        }
      }
    }
    return released;
  }

  putFile(w: FileWrite): Promise<FileWriteResult> {
    return this.tx(async (trx) => {
      checkLimits(w.path);
      await this.lockShared(trx, w.ownerId, ancestorsOf(w.path));
      await this.ensureParents(trx, w.ownerId, w.path, w);
      const existing = await this.lockNode(trx, w.ownerId, w.path);
      if (existing?.type === 'dir') {
        throw new FsError('node_is_a_directory', 'A directory exists at this path');
      }
      const parent = existing ? null : await this.parentFor(trx, w.ownerId, w.path);
      const location = await this.refBlob(trx, w);
      let released: ReleasedBlob | null = null;
      if (existing) {
        await trx
          .updateTable('fs_nodes')
          .set({
            size: w.blob.size,
            blob_key: w.blob.key,
            mime_type: w.blob.mimeType,
            modified_at: w.modifiedAt,
            updated_at: w.now,
            mode: w.mode,
            ...(w.createdAt !== null ? { created_at: w.createdAt } : {}),
          })
          .where('id', '=', existing.id)
          .execute();
        if (existing.blobKey) {
          [released = null] = await this.unrefBlobs(trx, new Map([[existing.blobKey, 1]]));
        }
      } else {
        await trx
          .insertInto('fs_nodes')
          .values({
            id: w.newId(),
            owner_id: w.ownerId,
            parent_id: parent!.id,
            path: w.path,
            name: nameOf(w.path),
            type: 'file',
            depth: depthOf(w.path),
            created_at: w.createdAt ?? w.now,
            modified_at: w.modifiedAt,
            updated_at: w.now,
            mode: w.mode,
            size: w.blob.size,
            blob_key: w.blob.key,
            mime_type: w.blob.mimeType,
          })
          .execute();
      }
      await this.change(trx, w.ownerId, {
        at: w.now,
        path: w.path,
        pathNew: '',
        action: existing ? 'updated' : 'created',
        type: 'file',
      });
      const node = await this.getIn(trx, w.ownerId, w.path);
      return { node: node!, location, released };
    });
  }

  move(
    ownerId: string,
    from: string,
    to: string,
    opts: { makeParents: boolean; now: number; newId(): string },
  ): Promise<FsNodeRecord> {
    return this.tx(async (trx) => {
      if (from === '' || to === '') {
        throw new FsError('cannot_modify_root_dir', 'The root directory cannot be moved');
      }
      await this.lockShared(trx, ownerId, [...ancestorsOf(from), ...ancestorsOf(to)]);
      const node = await this.lockNode(trx, ownerId, from);
      if (!node) throw new FsError('path_not_found', 'The node to move does not exist');
      if (to === from) return node;
      if (to.startsWith(`${from}/`)) {
        throw new FsError('circular_dependency', 'A directory cannot be moved into itself');
      }
      checkLimits(to);
      await this.ensureParents(trx, ownerId, to, opts);
      const existing = await this.getIn(trx, ownerId, to);
      if (existing) throw new FsError('node_already_exists', 'A node exists at the target path');
      const parent =
        parentOf(to) === parentOf(from)
          ? await this.getIn(trx, ownerId, parentOf(to))
          : await this.parentFor(trx, ownerId, to);
      const delta = depthOf(to) - depthOf(from);
      if (node.type === 'dir') {
        // The subtree's new paths must keep within the limits too.
        const deepest = await trx
          .selectFrom('fs_nodes')
          .select((eb) => [eb.fn.max('depth').as('depth')])
          .where('owner_id', '=', ownerId)
          .where(this.below(from))
          .executeTakeFirst();
        if (deepest?.depth !== null && deepest?.depth !== undefined) {
          if (num(deepest.depth) + delta > LIMITS.depth) {
            throw new FsError('too_many_nested_levels', 'Directories would nest deeper than 64');
          }
          const longest = await trx
            .selectFrom('fs_nodes')
            .select('path')
            .where('owner_id', '=', ownerId)
            .where(this.below(from))
            .orderBy(sql`length(path)`, 'desc')
            .limit(1)
            .executeTakeFirst();
          if (longest) checkLimits(to + longest.path.slice(from.length));
        }
        await trx
          .updateTable('fs_nodes')
          .set({
            path: sql`cast(${to} as text) || substr(path, length(cast(${from} as text)) + 1)`,
            depth: sql`depth + ${delta}`,
          })
          .where('owner_id', '=', ownerId)
          .where(this.below(from))
          .execute();
      }
      await trx
        .updateTable('fs_nodes')
        .set({ path: to, name: nameOf(to), parent_id: parent!.id, depth: depthOf(to) })
        .where('id', '=', node.id)
        .execute();
      await this.change(trx, ownerId, {
        at: opts.now,
        path: from,
        pathNew: to,
        action: 'moved',
        type: node.type,
      });
      return (await this.getIn(trx, ownerId, to))!;
    });
  }

  update(
    ownerId: string,
    path: string,
    fields: Parameters<FsRepository['update']>[2],
    now: number,
  ): Promise<FsNodeRecord> {
    return this.tx(async (trx) => {
      await this.lockShared(trx, ownerId, ancestorsOf(path));
      const node = await this.lockNode(trx, ownerId, path);
      if (!node) throw new FsError('path_not_found', 'The node does not exist');
      const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
      const set: Partial<Record<keyof Database['fs_nodes'], unknown>> = {};
      if (fields.createdAt !== undefined) set.created_at = fields.createdAt;
      if (fields.modifiedAt !== undefined) set.modified_at = fields.modifiedAt;
      if (fields.mode !== undefined) set.mode = fields.mode;
      if (fields.shareId !== undefined) set.share_id = fields.shareId;
      if (fields.linkPermissions !== undefined) set.link_permissions = json(fields.linkPermissions);
      if (fields.userPermissions !== undefined) set.user_permissions = json(fields.userPermissions);
      if (fields.passwordPermissions !== undefined)
        set.password_permissions = json(fields.passwordPermissions);
      if (fields.properties !== undefined) set.properties = json(fields.properties);
      if (Object.keys(set).length > 0) {
        await trx
          .updateTable('fs_nodes')
          .set(set as never)
          .where('id', '=', node.id)
          .execute();
        await this.change(trx, ownerId, {
          at: now,
          path,
          pathNew: '',
          action: 'updated',
          type: node.type,
        });
      }
      return (await this.getIn(trx, ownerId, path))!;
    });
  }

  delete(
    ownerId: string,
    path: string,
    opts: { recursive: boolean; now: number; wholeTree?: boolean },
  ): Promise<ReleasedBlob[]> {
    return this.tx(async (trx) => {
      if (path === '' && !opts.wholeTree) {
        throw new FsError('cannot_modify_root_dir', 'The root cannot be deleted');
      }
      if (path !== '') await this.lockShared(trx, ownerId, ancestorsOf(path));
      const node = await this.lockNode(trx, ownerId, path);
      if (!node && opts.wholeTree) return [];
      if (!node) throw new FsError('path_not_found', 'The node does not exist');
      if (node.type === 'dir' && !opts.recursive) {
        const child = await trx
          .selectFrom('fs_nodes')
          .select('id')
          .where('parent_id', '=', node.id)
          .limit(1)
          .executeTakeFirst();
        if (child) {
          throw new FsError('directory_not_empty', 'The directory is not empty', {
            hint: 'recursive=true',
          });
        }
      }
      // The references dropped are counted from the rows this statement deleted.
      const gone = await trx
        .deleteFrom('fs_nodes')
        .where('owner_id', '=', ownerId)
        .where(this.within(path))
        .returning('blob_key')
        .execute();
      const refs = new Map<string, number>();
      for (const { blob_key: k } of gone) if (k) refs.set(k, (refs.get(k) ?? 0) + 1);
      const released = await this.unrefBlobs(trx, refs);
      await this.change(trx, ownerId, {
        at: opts.now,
        path,
        pathNew: '',
        action: 'deleted',
        type: node.type,
      });
      return released;
    });
  }

  importFiles(
    ownerId: string,
    dir: string,
    files: readonly FileRecord[],
    opts: { now: number; newId(): string },
  ): Promise<void> {
    return this.tx(async (trx) => {
      await this.lockShared(trx, ownerId, [...ancestorsOf(dir), dir]);
      const parent = await this.getIn(trx, ownerId, dir);
      if (!parent) throw new FsError('path_not_found', 'The directory does not exist');
      if (parent.type !== 'dir') throw new FsError('node_is_not_a_directory');
      for (const f of files) {
        const path = `${dir}/${f.name}`;
        checkLimits(path);
        if (await this.getIn(trx, ownerId, path)) {
          throw new FsError('node_already_exists', `"${f.name}" exists in this directory`);
        }
        await this.parentFor(trx, ownerId, path);
        const ref = await trx
          .updateTable('blobs')
          .set({ refcount: sql`refcount + 1` })
          .where('key', '=', f.blobKey)
          .returning('key')
          .executeTakeFirst();
        if (!ref) throw new FsError('list_file_not_found', `File ${f.id} does not exist`);
        await trx
          .insertInto('fs_nodes')
          .values({
            id: opts.newId(),
            owner_id: ownerId,
            parent_id: parent.id,
            path,
            name: f.name,
            type: 'file',
            depth: depthOf(path),
            created_at: f.createdAt,
            modified_at: f.createdAt,
            updated_at: opts.now,
            mode: 0o644,
            size: f.size,
            blob_key: f.blobKey,
            mime_type: f.mimeType,
          })
          .execute();
        await this.change(trx, ownerId, {
          at: opts.now,
          path,
          pathNew: '',
          action: 'created',
          type: 'file',
        });
      }
    });
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
}
