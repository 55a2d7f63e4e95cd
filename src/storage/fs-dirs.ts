import { FsError } from '../core/filesystem/errors.js';
import { checkLimits, depthOf, nameOf, parentOf } from '../core/filesystem/paths.js';
import type { FsNodeRecord } from '../core/filesystem/types.js';
import { getNode, parentFor, recordChange, type Trx } from './fs-sql.js';

/** Directories along `path`'s ancestors that are missing, made (each parent checked). */
export async function makeDirs(
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

/** Missing parents of `path` (when asked to make them), else the parent must exist. */
export async function ensureParents(
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
  await makeDirs(trx, ownerId, chain, {
    now: opts.now,
    mode: 0o755,
    exclusiveLast: false,
    newId: opts.newId,
  });
}
