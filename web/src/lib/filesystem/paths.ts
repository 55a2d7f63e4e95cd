// Addresses of the filesystem API (/api/filesystem/{bucket}/{path}) and of the /d/ pages. Node paths
// are absolute and start with the bucket (`/me/docs/a.txt`, `/{shareId}/b.mp4`); in URLs each
// component is percent-encoded on its own, so a name may hold any character but `/`. No runtime
// imports: the unit tests load this file directly.
import type { FsNode } from '../../../../src/http/web/page-types.js';

/** `/me/a b/c#d` → `me/a%20b/c%23d` (no leading slash). */
export function encodePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

/** The API address of a node (under /api). */
export const apiPath = (path: string) => `/filesystem/${encodePath(path)}`;
/** The node's bytes (files) for previews. */
export const rawUrl = (path: string) => `/api${apiPath(path)}`;
export const downloadUrl = (path: string) => `${rawUrl(path)}?attach`;
export const zipUrl = (path: string) => `${rawUrl(path)}?bulk_download`;
export const thumbnailUrl = (path: string, size = 128) =>
  `${rawUrl(path)}?thumbnail&width=${size}&height=${size}`;
/** The page of a node. */
export const pageHref = (path: string) => `/d/${encodePath(path)}`;

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? path : path.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

/** Whether `path` is `dir` itself or inside it (a folder cannot move into itself). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** A name the API would accept as one component (it checks again: this is for the form). */
export function nameProblem(name: string): string {
  if (name === '') return 'Enter a name.';
  if (name === '.' || name === '..') return 'This name is reserved.';
  if (name.includes('/')) return 'A name cannot contain “/”.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot contain control characters.';
  if (new TextEncoder().encode(name).length > 255) return 'The name is too long (255 bytes).';
  return '';
}

/** `/d/me/a%20b` (a page's address) → `/me/a b`; null when it is not one. */
export function pathOfPage(pathname: string): string | null {
  if (!pathname.startsWith('/d/')) return null;
  try {
    const parts = pathname.slice(3).split('/').filter(Boolean).map(decodeURIComponent);
    return parts.length ? `/${parts.join('/')}` : null;
  } catch {
    return null;
  }
}

/** The `/d/{id}` link of a shared node. */
export function shareLink(origin: string, node: FsNode): string {
  return node.id ? `${origin}/d/${encodeURIComponent(node.id)}` : '';
}
