// Uploads into the tree: the home page's queue (a few at a time, progress, speed, cancel,
// retry), each item PUT to /api/filesystem/{dir}/{name}. An item's name is its full target
// path, fixed when it was queued: going to another folder meanwhile changes nothing.
import { putWithProgress } from '../upload';
import { UploadQueue, type UploadItem } from '../home/queue.svelte';
import { joinPath, rawUrl, type FsNode } from './fs';

export type FsUploadItem = UploadItem<FsNode>;

export function fsUploadQueue(
  maxFileSize: number,
  onChange: (item: FsUploadItem) => void,
): UploadQueue<FsNode> {
  return new UploadQueue<FsNode>({
    maxFileSize,
    onChange,
    upload: (blob, path, onProgress) =>
      putWithProgress<FsNode>(`${rawUrl(path)}?make_parents=true`, blob, onProgress),
  });
}

/** Queue files for `dir`. */
export function queueFiles(queue: UploadQueue<FsNode>, files: Iterable<File>, dir: string): void {
  queue.add([...files].map((f) => ({ blob: f, name: joinPath(dir, f.name || 'file') })));
}

export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
