/**
 * The types of rclone's backend/pixeldrain/api_client.go (FilesystemNode, FilesystemPath,
 * ChangeLogEntry, UserInfo, APIError) and how Go's encoding/json decodes an answer into them: a
 * field of the wrong JSON type, or a time that is not strict RFC 3339, is an error (the call
 * fails in rclone), `null` or an absent field leaves the zero value. Plus `apiErrorHandler`'s
 * mapping of `value` to rclone's errors and `paramsFromMetadata`.
 */
import { parseGoTime, type GoTime } from './go.js';

/** `FilesystemNode` as rclone decodes it (the fields it declares; others are ignored). */
export interface Node {
  type: string;
  path: string;
  name: string;
  created: GoTime | null;
  modified: GoTime | null;
  modeOctal: string;
  fileSize: number;
  fileType: string;
  sha256: string;
  id: string;
}

/** `FilesystemPath`, the `?stat` answer. */
export interface FsPath {
  path: Node[];
  baseIndex: number;
  children: Node[];
}

export interface UserInfo {
  username: string;
  subscription: { name: string; storageSpace: number };
  storageSpaceUsed: number;
}

export interface ChangeLogEntry {
  time: GoTime | null;
  path: string;
  pathNew: string;
  action: string;
  type: string;
}

/** One HTTP exchange as rclone made it. */
export interface Call {
  method: string;
  url: string;
  status: number;
  json: unknown;
}

/**
 * rclone's errors: the ones `apiErrorHandler` makes from `value` (errNotFound for
 * `path_not_found`, fs.ErrorDirectoryNotEmpty, errExists for `node_already_exists`,
 * errAuthenticationFailed, fs.ErrorPermissionDenied, else APIError{value}) and the fs errors the
 * operations turn them into.
 */
export class RcloneError extends Error {
  constructor(
    readonly kind: string,
    readonly call?: Call,
  ) {
    super(
      `${kind}${call ? ` (${call.method} ${call.url} -> ${call.status} ${JSON.stringify(call.json)})` : ''}`,
    );
  }
}

export const API_ERRORS: Record<string, string> = {
  path_not_found: 'errNotFound',
  directory_not_empty: 'ErrorDirectoryNotEmpty',
  node_already_exists: 'errExists',
  authentication_failed: 'errAuthenticationFailed',
  permission_denied: 'ErrorPermissionDenied',
};

export function str(v: unknown, field: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string')
    throw new Error(`json: cannot unmarshal ${typeof v} into string ${field}`);
  return v;
}

export function int64(v: unknown, field: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new Error(`json: cannot unmarshal ${JSON.stringify(v)} into int64 ${field}`);
  return v;
}

export function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`json: ${field} is not an object`);
  return v as Record<string, unknown>;
}

export function arr(v: unknown, field: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`json: ${field} is not an array`);
  return v;
}

export function decodeNode(v: unknown): Node {
  const o = obj(v, 'FilesystemNode');
  return {
    type: str(o.type, 'type'),
    path: str(o.path, 'path'),
    name: str(o.name, 'name'),
    created: parseGoTime(o.created, 'created'),
    modified: parseGoTime(o.modified, 'modified'),
    modeOctal: str(o.mode_octal, 'mode_octal'),
    fileSize: int64(o.file_size, 'file_size'),
    fileType: str(o.file_type, 'file_type'),
    sha256: str(o.sha256_sum, 'sha256_sum'),
    id: str(o.id, 'id'),
  };
}

export function decodeFsPath(v: unknown): FsPath {
  const o = obj(v, 'FilesystemPath');
  return {
    path: arr(o.path, 'path').map(decodeNode),
    baseIndex: int64(o.base_index, 'base_index'),
    children: arr(o.children, 'children').map(decodeNode),
  };
}

/** `fsp.Base()`: Go panics (index out of range) where this throws. */
export function base(fsp: FsPath): Node {
  const n = fsp.path[fsp.baseIndex];
  if (!n)
    throw new Error(`panic: index out of range [${fsp.baseIndex}] with length ${fsp.path.length}`);
  return n;
}

export function decodeUserInfo(v: unknown): UserInfo {
  const o = obj(v, 'UserInfo');
  const s = obj(o.subscription, 'subscription');
  return {
    username: str(o.username, 'username'),
    subscription: {
      name: str(s.name, 'name'),
      storageSpace: int64(s.storage_space, 'storage_space'),
    },
    storageSpaceUsed: int64(o.storage_space_used, 'storage_space_used'),
  };
}

export function decodeChangeLog(v: unknown): ChangeLogEntry[] {
  return arr(v, 'ChangeLog').map((e) => {
    const o = obj(e, 'ChangeLogEntry');
    return {
      time: parseGoTime(o.time, 'time'),
      path: str(o.path, 'path'),
      pathNew: str(o.path_new, 'path_new'),
      action: str(o.action, 'action'),
      type: str(o.type, 'type'),
    };
  });
}

/** `paramsFromMetadata`: mtime→modified, btime→created, mode, shared, logging_enabled. */
export function paramsFromMetadata(meta: Record<string, string>): Record<string, string> {
  const p: Record<string, string> = {};
  if (meta.mtime !== undefined) p.modified = meta.mtime;
  if (meta.btime !== undefined) p.created = meta.btime;
  if (meta.mode !== undefined) p.mode = meta.mode;
  if (meta.shared !== undefined) p.shared = meta.shared;
  if (meta.logging_enabled !== undefined) p.logging_enabled = meta.logging_enabled;
  return p;
}
