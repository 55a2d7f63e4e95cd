import { sql } from 'kysely';
import { FsError } from '../core/filesystem/errors.js';
import { ancestorsOf, checkLimits, depthOf, nameOf } from '../core/filesystem/paths.js';
import {
  type FileWrite,
  type FileWriteResult,
  type FsNodeRecord,
  type FsRepository,
  type NodeTraffic,
  type ReleasedBlob,
} from '../core/filesystem/types.js';
import type { FileRecord } from '../core/records.js';
import type { Db } from './db.js';
import { type Database } from './schema.js';
import { WriteBatcher } from './write-batcher.js';
import { ensureParents, makeDirs } from './fs-dirs.js';
import { fsTransaction, lockNode, lockShared } from './fs-locks.js';
import { moveNode } from './fs-move.js';
import { KyselyFsReads } from './fs-reads.js';
import {
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
    return fsTransaction(this.writes, fn);
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

  mkdirs(
    ownerId: string,
    paths: readonly string[],
    fields: { now: number; mode: number; exclusiveLast: boolean; newId(): string },
  ): Promise<FsNodeRecord> {
    return this.tx(async (trx) => {
      await lockShared(trx, this.pg, ownerId, ancestorsOf(paths[paths.length - 1] ?? ''));
      return makeDirs(trx, ownerId, paths, fields);
    });
  }

  putFile(w: FileWrite): Promise<FileWriteResult> {
    return this.tx(async (trx) => {
      checkLimits(w.path);
      await lockShared(trx, this.pg, w.ownerId, ancestorsOf(w.path));
      await ensureParents(trx, w.ownerId, w.path, w);
      const existing = await lockNode(trx, this.pg, w.ownerId, w.path);
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
    return this.tx((trx) => moveNode(trx, this.pg, ownerId, from, to, opts));
  }

  update(
    ownerId: string,
    path: string,
    fields: Parameters<FsRepository['update']>[2],
    now: number,
  ): Promise<FsNodeRecord> {
    return this.tx(async (trx) => {
      await lockShared(trx, this.pg, ownerId, ancestorsOf(path));
      const node = await lockNode(trx, this.pg, ownerId, path);
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
      if (path !== '') await lockShared(trx, this.pg, ownerId, ancestorsOf(path));
      const node = await lockNode(trx, this.pg, ownerId, path);
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
      await lockShared(trx, this.pg, ownerId, [...ancestorsOf(dir), dir]);
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
