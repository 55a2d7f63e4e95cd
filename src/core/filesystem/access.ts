import type { Principal } from '../accounts.js';
import { CoreError } from '../errors.js';
import { digestsEqual, hashSecret } from '../ids.js';
import { FsError } from './errors.js';
import type { FsNodeRecord, FsRepository, Permissions } from './types.js';

/** Who asks: the account (if any) and a share password (the Basic password on a shared id). */
export interface FsCaller {
  principal: Principal | null;
  password?: string | null;
}

/**
 * A bucket as one caller sees it: whose tree, from which node down, with what rights. Paths in
 * answers are the bucket's name followed by the path below `base`.
 */
export interface BucketView {
  /** `me` or the shared id. */
  bucket: string;
  ownerId: string;
  /** The stored path the bucket starts at ('' for `me`). */
  base: string;
  root: FsNodeRecord;
  permissions: Permissions;
  isOwner: boolean;
}

export const SHARE_ID = /^[A-Za-z0-9]{8}$/;

const NONE: Permissions = { owner: false, read: false, write: false, delete: false };
const ALL: Permissions = { owner: true, read: true, write: true, delete: true };

/** Rights given by a share: read unless its link permissions say otherwise. */
function merge(into: Permissions, add: Partial<Permissions> | undefined | null): Permissions {
  if (!add) return into;
  return {
    owner: into.owner || add.owner === true,
    read: into.read || add.read === true,
    write: into.write || add.write === true,
    delete: into.delete || add.delete === true,
  };
}

/** What the permission objects of a shared node give this caller. */
export function sharedPermissions(node: FsNodeRecord, caller: FsCaller): Permissions {
  let p = merge({ ...NONE }, node.linkPermissions ?? { read: true });
  if (caller.principal && node.userPermissions) {
    p = merge(p, node.userPermissions[caller.principal.username]);
  }
  if (caller.password && node.passwordPermissions) {
    // Compared as digests, in constant time per entry.
    const given = hashSecret(caller.password);
    for (const [password, perms] of Object.entries(node.passwordPermissions)) {
      if (digestsEqual(hashSecret(password), given)) p = merge(p, perms);
    }
  }
  if (p.owner) p = { ...ALL };
  // Writing or deleting without seeing is not a state a client can work with.
  if (p.write || p.delete) p.read = true;
  return p;
}

/** Resolve a bucket name for a caller (401 for `me` without credentials, 404 for an unknown id). */
export async function resolveBucket(
  repo: FsRepository,
  caller: FsCaller,
  bucket: string,
  now: number,
  newId: () => string,
): Promise<BucketView> {
  if (bucket === 'me') {
    if (!caller.principal) {
      throw new CoreError('authentication_required', 'Log in to use your filesystem');
    }
    const root = await repo.root(caller.principal.userId, now, newId);
    return {
      bucket,
      ownerId: caller.principal.userId,
      base: '',
      root,
      permissions: { ...ALL },
      isOwner: true,
    };
  }
  const node = SHARE_ID.test(bucket) ? await repo.byShareId(bucket) : null;
  if (!node) throw new FsError('not_found', 'This shared directory does not exist');
  const isOwner = caller.principal?.userId === node.ownerId;
  const permissions = isOwner ? { ...ALL } : sharedPermissions(node, caller);
  // A share nobody may read is as good as absent to strangers.
  if (!permissions.read) throw new FsError('not_found', 'This shared directory does not exist');
  return { bucket, ownerId: node.ownerId, base: node.path, root: node, permissions, isOwner };
}

/** Refuse unless the view allows this. */
export function need(view: BucketView, right: keyof Permissions): void {
  if (!view.permissions[right]) {
    throw new FsError('permission_denied', `You do not have ${right} permission here`);
  }
}

/** The path a client sees for a stored path under this view. */
export function displayPath(view: BucketView, stored: string): string {
  return `/${view.bucket}${stored.slice(view.base.length)}`;
}
