import type { Db } from '../src/storage/db.js';

/**
 * What must hold of the filesystem's tables whatever requests raced: every node's parent exists,
 * is a directory of the same owner, and the node's path and depth follow from it; no two nodes of
 * an owner share a path; each blob's refcount is exactly the files and nodes naming it.
 * Returns the problems found (an empty list when the tree is consistent).
 */
export async function treeProblems(db: Db): Promise<string[]> {
  const nodes = await db
    .selectFrom('fs_nodes')
    .select(['id', 'owner_id', 'parent_id', 'path', 'name', 'type', 'depth', 'blob_key'])
    .execute();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    const at = `${n.owner_id}:${n.path || '(root)'}`;
    if (seen.has(`${n.owner_id}\0${n.path}`)) problems.push(`${at}: two nodes with this path`);
    seen.add(`${n.owner_id}\0${n.path}`);
    if (n.parent_id === null) {
      if (n.path !== '' || Number(n.depth) !== 0) problems.push(`${at}: a root that is not ''`);
      continue;
    }
    const parent = byId.get(n.parent_id);
    if (!parent) {
      problems.push(`${at}: its parent ${n.parent_id} does not exist`);
      continue;
    }
    if (parent.owner_id !== n.owner_id) problems.push(`${at}: its parent has another owner`);
    if (parent.type !== 'dir') problems.push(`${at}: its parent ${parent.path} is a file`);
    if (n.path !== `${parent.path}/${n.name}`) {
      problems.push(`${at}: path is not its parent's (${parent.path}) + '/' + ${n.name}`);
    }
    if (Number(n.depth) !== Number(parent.depth) + 1) {
      problems.push(`${at}: depth ${n.depth}, its parent's ${parent.depth}`);
    }
    if ((n.type === 'file') !== (n.blob_key !== null)) {
      problems.push(`${at}: a ${n.type} with blob ${n.blob_key}`);
    }
  }
  return problems.concat(await refcountProblems(db));
}

/** Blobs whose refcount is not the number of files and nodes referencing them. */
export async function refcountProblems(db: Db): Promise<string[]> {
  const blobs = await db.selectFrom('blobs').select(['key', 'refcount']).execute();
  const count = async (table: 'files' | 'fs_nodes') => {
    const rows = await db
      .selectFrom(table)
      .select((eb) => ['blob_key', eb.fn.countAll().as('n')])
      .where('blob_key', 'is not', null)
      .groupBy('blob_key')
      .execute();
    return new Map(rows.map((r) => [r.blob_key!, Number(r.n)]));
  };
  const files = await count('files');
  const nodes = await count('fs_nodes');
  const problems: string[] = [];
  for (const b of blobs) {
    const actual = (files.get(b.key) ?? 0) + (nodes.get(b.key) ?? 0);
    if (Number(b.refcount) !== actual) {
      problems.push(`blob ${b.key}: refcount ${b.refcount}, referenced ${actual} times`);
    }
  }
  const known = new Set(blobs.map((b) => b.key));
  for (const key of [...files.keys(), ...nodes.keys()]) {
    if (!known.has(key)) problems.push(`blob ${key}: referenced but has no row`);
  }
  return problems;
}

/** Locations of blob rows stored in the blob store (inline blobs excluded), sorted. */
export async function blobLocations(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('blobs')
    .select('location')
    .where('location', '<>', 'inline')
    .execute();
  const derived = await db.selectFrom('derived_images').select('location').execute();
  return [...rows, ...derived].map((r) => r.location).sort();
}

/** The nodes of one owner's tree by path (for assertions on what is where). */
export async function pathsOf(db: Db, ownerId: string, under = ''): Promise<string[]> {
  const rows = await db
    .selectFrom('fs_nodes')
    .select('path')
    .where('owner_id', '=', ownerId)
    .execute();
  return rows
    .map((r) => r.path)
    .filter((p) => under === '' || p === under || p.startsWith(`${under}/`))
    .sort();
}
