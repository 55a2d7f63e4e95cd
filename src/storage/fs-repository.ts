import { sql } from 'kysely';
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
  type FileWrite,
  type FileWriteResult,
  type FsNodeRecord,
  type FsRepository,
  type NodeTraffic,
  type ReleasedBlob,
} from '../core/filesystem/types.js';
import type { FileRecord } from '../core/records.js';
import { isRetryableConflict, isUniqueViolation } from './db-errors.js';
import type { Db } from './db.js';
import { num, type Database } from './schema.js';
import { JobRefused, WriteBatcher } from './write-batcher.js';
import { KyselyFsReads } from './fs-reads.js';
import {
  below,
  getNode,
  parentFor,
  recordChange,
  refBlob,
  unrefBlobs,
  within,
  type Trx,
} from './fs-sql.js';

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
export class KyselyFsRepository extends KyselyFsReads implements FsRepository {
  private readonly writes: WriteBatcher;

  constructor(db: Db) {
    super(db);
    this.writes = new WriteBatcher(db);
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
    return getNode(trx, ownerId, path);
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
      const existing = await getNode(trx, ownerId, path);
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
      const parent = await parentFor(trx, ownerId, path);
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
      await recordChange(trx, ownerId, {
        at: fields.now,
        path,
        pathNew: '',
        action: 'created',
        type: 'dir',
      });
      last = await getNode(trx, ownerId, path);
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

  putFile(w: FileWrite): Promise<FileWriteResult> {
    return this.tx(async (trx) => {
      checkLimits(w.path);
      await this.lockShared(trx, w.ownerId, ancestorsOf(w.path));
      await this.ensureParents(trx, w.ownerId, w.path, w);
      const existing = await this.lockNode(trx, w.ownerId, w.path);
      if (existing?.type === 'dir') {
        throw new FsError('node_is_a_directory', 'A directory exists at this path');
      }
      const parent = existing ? null : await parentFor(trx, w.ownerId, w.path);
      const location = await refBlob(trx, w);
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
          [released = null] = await unrefBlobs(trx, new Map([[existing.blobKey, 1]]));
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
      await recordChange(trx, w.ownerId, {
        at: w.now,
        path: w.path,
        pathNew: '',
        action: existing ? 'updated' : 'created',
        type: 'file',
      });
      const node = await getNode(trx, w.ownerId, w.path);
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
      const existing = await getNode(trx, ownerId, to);
      if (existing) throw new FsError('node_already_exists', 'A node exists at the target path');
      const parent =
        parentOf(to) === parentOf(from)
          ? await getNode(trx, ownerId, parentOf(to))
          : await parentFor(trx, ownerId, to);
      const delta = depthOf(to) - depthOf(from);
      if (node.type === 'dir') {
        // The subtree's new paths must keep within the limits too.
        const deepest = await trx
          .selectFrom('fs_nodes')
          .select((eb) => [eb.fn.max('depth').as('depth')])
          .where('owner_id', '=', ownerId)
          .where(below(from))
          .executeTakeFirst();
        if (deepest?.depth !== null && deepest?.depth !== undefined) {
          if (num(deepest.depth) + delta > LIMITS.depth) {
            throw new FsError('too_many_nested_levels', 'Directories would nest deeper than 64');
          }
          const longest = await trx
            .selectFrom('fs_nodes')
            .select('path')
            .where('owner_id', '=', ownerId)
            .where(below(from))
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
          .where(below(from))
          .execute();
      }
      await trx
        .updateTable('fs_nodes')
        .set({ path: to, name: nameOf(to), parent_id: parent!.id, depth: depthOf(to) })
        .where('id', '=', node.id)
        .execute();
      await recordChange(trx, ownerId, {
        at: opts.now,
        path: from,
        pathNew: to,
        action: 'moved',
        type: node.type,
      });
      return (await getNode(trx, ownerId, to))!;
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
        await recordChange(trx, ownerId, {
          at: now,
          path,
          pathNew: '',
          action: 'updated',
          type: node.type,
        });
      }
      return (await getNode(trx, ownerId, path))!;
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
        .where(within(path))
        .returning('blob_key')
        .execute();
      const refs = new Map<string, number>();
      for (const { blob_key: k } of gone) if (k) refs.set(k, (refs.get(k) ?? 0) + 1);
      const released = await unrefBlobs(trx, refs);
      await recordChange(trx, ownerId, {
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
      const parent = await getNode(trx, ownerId, dir);
      if (!parent) throw new FsError('path_not_found', 'The directory does not exist');
      if (parent.type !== 'dir') throw new FsError('node_is_not_a_directory');
      for (const f of files) {
        const path = `${dir}/${f.name}`;
        checkLimits(path);
        if (await getNode(trx, ownerId, path)) {
          throw new FsError('node_already_exists', `"${f.name}" exists in this directory`);
        }
        await parentFor(trx, ownerId, path);
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
        await recordChange(trx, ownerId, {
          at: opts.now,
          path,
          pathNew: '',
          action: 'created',
          type: 'file',
        });
      }
    });
  }

  addTraffic(deltas: ReadonlyMap<string, NodeTraffic>): Promise<void> {
    return this.writes.run(async (trx) => {
      for (const [id, d] of deltas) {
        await trx
          .updateTable('fs_nodes')
          .set({
            downloads: sql`downloads + ${d.downloads}`,
            transfer: sql`transfer + ${d.bytes}`,
          })
          .where('id', '=', id)
          .execute();
      }
    });
  }
}
