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
import type { FsNodeRecord } from '../core/filesystem/types.js';
import { ensureParents } from './fs-dirs.js';
import { lockNode, lockShared } from './fs-locks.js';
import { below, getNode, parentFor, recordChange, type Trx } from './fs-sql.js';
import { num } from './schema.js';

/**
 * Move (rename) a node, a directory with its whole subtree: paths and depths rewritten in one
 * statement, after checking that the subtree keeps within the limits at its new place.
 */
export async function moveNode(
  trx: Trx,
  pg: boolean,
  ownerId: string,
  from: string,
  to: string,
  opts: { makeParents: boolean; now: number; newId(): string },
): Promise<FsNodeRecord> {
  if (from === '' || to === '') {
    throw new FsError('cannot_modify_root_dir', 'The root directory cannot be moved');
  }
  await lockShared(trx, pg, ownerId, [...ancestorsOf(from), ...ancestorsOf(to)]);
  const node = await lockNode(trx, pg, ownerId, from);
  if (!node) throw new FsError('path_not_found', 'The node to move does not exist');
  if (to === from) return node;
  if (to.startsWith(`${from}/`)) {
    throw new FsError('circular_dependency', 'A directory cannot be moved into itself');
  }
  checkLimits(to);
  await ensureParents(trx, ownerId, to, opts);
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
}
