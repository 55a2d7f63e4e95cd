// Moving nodes by drag and drop: a dragged row carries its path under a type of our own, so a
// drop target can tell it from files dragged in from the desktop (which are uploads).
import type { FsNode } from './fs';
import { isWithin, parentOf } from './fs';

export const NODE_TYPE = 'application/x-stowage-node';

export function startDrag(e: DragEvent, node: FsNode): void {
  if (!e.dataTransfer) return;
  e.dataTransfer.setData(NODE_TYPE, node.path);
  e.dataTransfer.setData('text/plain', node.name);
  e.dataTransfer.effectAllowed = 'move';
}

export function carriesNode(e: DragEvent): boolean {
  return e.dataTransfer?.types.includes(NODE_TYPE) ?? false;
}

export function carriesFiles(e: DragEvent): boolean {
  return e.dataTransfer?.types.includes('Files') ?? false;
}

/** The dragged node's path, if it may move into `dir` (not into itself, not where it is). */
export function droppedPath(e: DragEvent, dir: string): string | null {
  const path = e.dataTransfer?.getData(NODE_TYPE) ?? '';
  if (!path || isWithin(dir, path) || parentOf(path) === dir) return null;
  return path;
}

/**
 * The handlers of folders that take dropped nodes (rows, tiles, breadcrumbs): a directory accepts a
 * dragged node where the viewer may write; `setOver` marks the folder under the pointer ('' none).
 */
export function folderDropTarget(opts: {
  canWrite: () => boolean;
  onmove: (from: string, toDir: string) => void;
  setOver: (path: string) => void;
}) {
  const accepts = (e: DragEvent, node: FsNode) =>
    opts.canWrite() && node.type === 'dir' && carriesNode(e);
  return {
    dragover(e: DragEvent, node: FsNode): void {
      if (!accepts(e, node)) return;
      e.preventDefault();
      e.stopPropagation();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
      opts.setOver(node.path);
    },
    drop(e: DragEvent, node: FsNode): void {
      opts.setOver('');
      if (!accepts(e, node)) return;
      e.preventDefault();
      e.stopPropagation();
      const from = droppedPath(e, node.path);
      if (from) opts.onmove(from, node.path);
    },
  };
}
