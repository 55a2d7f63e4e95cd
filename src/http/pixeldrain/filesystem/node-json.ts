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

/** Mode strings by type and bits: a listing of 10,000 nodes has a handful of distinct ones. */
const modeStrings = new Map<number, string>();

function cachedModeString(type: 'dir' | 'file', mode: number): string {
  const k = type === 'dir' ? mode | 0x10000 : mode;
  let out = modeStrings.get(k);
  if (out === undefined) {
    out = modeString(type, mode);
    if (modeStrings.size < 4096) modeStrings.set(k, out);
  }
  return out;
}

/**
 * A node as pixeldrain's API shows it (spec §5): paths start with the bucket, `id` only when
 * shared, the permission objects only for the owner. Built by assignment in the answer's field
 * order (a stat may list 10,000 of them).
 */
export function nodeJson(
  view: BucketView,
  node: FsNodeRecord,
  createdBy: string,
): Record<string, unknown> {
  const isBucket = node.path === view.base;
  const created = iso(node.createdAt);
  const out: Record<string, unknown> = {
    type: node.type,
    path: displayPath(view, node.path),
    name: isBucket ? view.bucket : node.name,
    created,
    // A file never changed since its upload: one date formatted, not two.
    modified: node.modifiedAt === node.createdAt ? created : iso(node.modifiedAt),
    mode_string: cachedModeString(node.type, node.mode),
    mode_octal: node.mode.toString(8).padStart(3, '0'),
    created_by: createdBy,
    abuse_type: '',
    file_size: node.size,
    file_type: node.type === 'dir' ? '' : (node.mimeType ?? 'application/octet-stream'),
    sha256_sum: node.blobKey ?? '',
  };
  if (node.shareId) out.id = node.shareId;
  if (node.properties) out.properties = node.properties;
  if (view.isOwner) {
    out.link_permissions = node.linkPermissions ?? undefined;
    out.user_permissions = node.userPermissions ?? undefined;
    out.password_permissions = node.passwordPermissions ?? undefined;
  }
  return out;
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
