import {
  displayPath,
  type BucketView,
  type FsNodeRecord,
  type FsStat,
} from '../../../core/filesystem/index.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** `-rw-r--r--` / `drwxr-xr-x` from the type and permission bits. */
export function modeString(type: 'dir' | 'file', mode: number): string {
  const bits = 'rwxrwxrwx';
  let out = type === 'dir' ? 'd' : '-';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}

/**
 * A node as pixeldrain's API shows it (spec §5): paths start with the bucket, `id` only when
 * shared, the permission objects only for the owner.
 */
export function nodeJson(
  view: BucketView,
  node: FsNodeRecord,
  createdBy: string,
): Record<string, unknown> {
  const isBucket = node.path === view.base;
  return {
    type: node.type,
    path: displayPath(view, node.path),
    name: isBucket ? view.bucket : node.name,
    created: iso(node.createdAt),
    modified: iso(node.modifiedAt),
    mode_string: modeString(node.type, node.mode),
    mode_octal: node.mode.toString(8).padStart(3, '0'),
    created_by: createdBy,
    abuse_type: '',
    file_size: node.size,
    file_type: node.type === 'dir' ? '' : (node.mimeType ?? 'application/octet-stream'),
    sha256_sum: node.blobKey ?? '',
    ...(node.shareId ? { id: node.shareId } : {}),
    ...(node.properties ? { properties: node.properties } : {}),
    ...(view.isOwner
      ? {
          link_permissions: node.linkPermissions ?? undefined,
          user_permissions: node.userPermissions ?? undefined,
          password_permissions: node.passwordPermissions ?? undefined,
        }
      : {}),
  };
}

/** A stat: the path from the bucket's root, the node's index in it, its children, the rights. */
export function statJson(stat: FsStat, createdBy: string): Record<string, unknown> {
  const { view } = stat;
  return {
    path: stat.path.map((n) => nodeJson(view, n, createdBy)),
    base_index: stat.path.length - 1,
    children: stat.children.map((n) => nodeJson(view, n, createdBy)),
    permissions: view.permissions,
    context: { premium_transfer: true },
  };
}
