import { FsError } from './errors.js';

/** pixeldrain's limits (spec §5, filesystem.md). */
export const LIMITS = {
  nameBytes: 255,
  pathBytes: 4095,
  depth: 64,
  children: 10_000,
} as const;

/** A path as a request names it: the bucket (`me` or a shared id) and the names below it. */
export interface FsPath {
  bucket: string;
  parts: string[];
}

/**
 * Split a URL path (what follows `/api/filesystem/`, still percent-encoded) into bucket and names,
 * decoding each component on its own, so `%2F` is part of a name, never a separator. Empty
 * components (`a//b`, a trailing slash) are ignored; `.` and `..` and NUL bytes are refused.
 */
export function parseRawPath(raw: string): FsPath {
  const parts: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '') continue;
    let name: string;
    try {
      name = decodeURIComponent(seg);
    } catch {
      throw new FsError('invalid_path', 'A path component is not valid percent-encoding');
    }
    parts.push(name);
  }
  const bucket = parts.shift();
  if (bucket === undefined) throw new FsError('not_found', 'No bucket was named');
  for (const p of parts) checkName(p);
  return { bucket, parts };
}

/** Split a decoded path (`/me/docs/a.txt`, as `target` of a rename is sent) the same way. */
export function parseDecodedPath(path: string): FsPath {
  const parts = path.split('/').filter((s) => s !== '');
  const bucket = parts.shift();
  if (bucket === undefined) throw new FsError('path_not_found', 'No bucket was named');
  for (const p of parts) checkName(p);
  return { bucket, parts };
}

/** A name a node may have (the limits on length come with `checkLimits`). */
export function checkName(name: string): void {
  if (name === '.' || name === '..' || name.includes('\0') || name.includes('/')) {
    throw new FsError('invalid_path', `"${name.replace(/\0/g, '\\0')}" cannot be a name`);
  }
  if (Buffer.byteLength(name) > LIMITS.nameBytes) {
    throw new FsError('name_too_long', 'A file or directory name is longer than 255 bytes', {
      max: LIMITS.nameBytes,
    });
  }
}

/** The stored path of names below a base ('' is the root). */
export function join(base: string, parts: readonly string[]): string {
  return parts.length === 0 ? base : `${base}/${parts.join('/')}`;
}

/** The parent of a stored path ('' for a child of the root). */
export function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function depthOf(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}

/** A stored path's length and depth against the limits. */
export function checkLimits(path: string): void {
  if (Buffer.byteLength(path) > LIMITS.pathBytes) {
    throw new FsError('path_too_long', 'The path is longer than 4095 bytes', {
      max: LIMITS.pathBytes,
    });
  }
  if (depthOf(path) > LIMITS.depth) {
    throw new FsError('too_many_nested_levels', 'Directories are nested deeper than 64 levels', {
      max: LIMITS.depth,
    });
  }
}

/** Whether `path` is `base` or below it. */
export function isWithin(path: string, base: string): boolean {
  return path === base || path.startsWith(`${base}/`);
}

/** Every ancestor of a stored path, root first ('' then '/a' then '/a/b' for '/a/b/c'). */
export function ancestorsOf(path: string): string[] {
  const out = [''];
  let i = path.indexOf('/', 1);
  while (i !== -1) {
    out.push(path.slice(0, i));
    i = path.indexOf('/', i + 1);
  }
  return out;
}
