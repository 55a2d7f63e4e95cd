// The filesystem API's calls as the directory page makes them (same origin, the cookie
// authenticates); addresses in ./paths.
import type { FsNode, FsStat } from '../../../../src/http/web/page-types.js';
import { api } from '../api';
import { apiPath } from './paths';

export * from './paths';
export type { FsNode, FsStat, FsPermissions } from '../../../../src/http/web/page-types.js';

export function stat(path: string): Promise<FsStat> {
  return api<FsStat>(`${apiPath(path)}?stat`);
}

export function mkdir(path: string): Promise<unknown> {
  return api(apiPath(path), { form: { action: 'mkdir' } });
}

/** Rename or move (`target` is a full path, with the bucket). */
export function move(path: string, target: string, makeParents = false): Promise<FsNode> {
  const form: Record<string, string> = { action: 'rename', target };
  if (makeParents) form.make_parents = 'true';
  return api<FsNode>(apiPath(path), { form });
}

export function remove(node: FsNode): Promise<unknown> {
  const q = node.type === 'dir' ? '?recursive=true' : '';
  return api(`${apiPath(node.path)}${q}`, { method: 'DELETE' });
}

export function share(path: string, shared: boolean): Promise<FsNode> {
  return api<FsNode>(apiPath(path), {
    form: { action: 'update', shared: shared ? 'true' : 'false' },
  });
}
