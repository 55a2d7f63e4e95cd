import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { randomBytes } from 'node:crypto';
import { INLINE_LOCATION } from '../core/blob-store.js';
import { FsError } from '../core/filesystem/errors.js';
import { LIMITS, parentOf } from '../core/filesystem/paths.js';
import {
  BlobGone,
  type FileWrite,
  type FsChange,
  type FsNodeRecord,
  type ListedParent,
  type ReleasedBlob,
} from '../core/filesystem/types.js';
import { num, type Database } from './schema.js';

/**
 * The filesystem repository's SQL pieces (fs-repository.ts): rows to nodes, subtree predicates,
 * the checks a new child passes, the change log, and references on blobs. Portable to SQLite and
 * PostgreSQL.
 */

export type Trx = Kysely<Database>;

const parseJson = <T>(s: string | null): T | null => {
  if (!s) return null;
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
};

/** A node's row, with its blob's location and scan status when joined (see `children`). */
export type NodeRow = Selectable<Database['fs_nodes']> & {
  location?: string | null;
  scan_status?: string | null;
};

/** A listing's row: a child's own columns, not those its parent gives (see `childOf`). */
export const CHILD_COLUMNS = [
  'id',
  'path',
  'name',
  'type',
  'created_at',
  'modified_at',
  'updated_at',
  'mode',
  'size',
  'blob_key',
  'mime_type',
  'share_id',
  'link_permissions',
  'user_permissions',
  'password_permissions',
  'properties',
] as const;

export type ChildRow = Pick<NodeRow, (typeof CHILD_COLUMNS)[number]>;

export function nodeOf(r: NodeRow): FsNodeRecord {
  return recordOf(r, r.owner_id, r.parent_id, num(r.depth));
}

/**
 * A child of `parent` from a listing's row: the owner, parent and depth come from the parent, so
 * a listing of 10,000 reads five columns fewer a row (the row objects were a third of a big
 * stat's time, see bench/README.md).
 */
export function childOf(parent: ListedParent, r: ChildRow): FsNodeRecord {
  return recordOf(r, parent.ownerId, parent.id, parent.depth + 1);
}

function recordOf(
  r: ChildRow & { location?: string | null; scan_status?: string | null },
  ownerId: string,
  parentId: string | null,
  depth: number,
): FsNodeRecord {
  return {
    id: r.id,
    ownerId,
    parentId,
    path: r.path,
    name: r.name,
    type: r.type,
    depth,
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

export function selectNodes(db: Trx) {
  return db
    .selectFrom('fs_nodes')
    .leftJoin('blobs', 'blobs.key', 'fs_nodes.blob_key')
    .selectAll('fs_nodes')
    .select(['blobs.location', 'blobs.scan_status']);
}

/** Strictly below `base` ('' is the root: everything but the root). */
export function below(base: string): Expression<SqlBool> {
  if (base === '') return sql<SqlBool>`fs_nodes.path <> ''`;
  return sql<SqlBool>`substr(fs_nodes.path, 1, length(cast(${base} as text)) + 1) = cast(${base} as text) || '/'`;
}

export function within(base: string): Expression<SqlBool> {
  if (base === '') return sql<SqlBool>`1 = 1`;
  return sql<SqlBool>`(fs_nodes.path = ${base} or ${below(base)})`;
}

export async function getNode(
  db: Trx,
  ownerId: string,
  path: string,
): Promise<FsNodeRecord | null> {
  const row = await selectNodes(db)
    .where('fs_nodes.owner_id', '=', ownerId)
    .where('fs_nodes.path', '=', path)
    .executeTakeFirst();
  return row ? nodeOf(row) : null;
}

/** The directory a new child goes into: it must exist and be a directory, with room left. */
export async function parentFor(trx: Trx, ownerId: string, path: string): Promise<FsNodeRecord> {
  const parent = await getNode(trx, ownerId, parentOf(path));
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

export async function recordChange(trx: Trx, ownerId: string, c: FsChange): Promise<void> {
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

/** Take one reference on a blob (inserting its row when ours is the first); its location. */
export async function refBlob(trx: Trx, w: FileWrite): Promise<string> {
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
export async function unrefBlobs(trx: Trx, counts: Map<string, number>): Promise<ReleasedBlob[]> {
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
