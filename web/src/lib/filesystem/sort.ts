// The order of a directory's listing: folders first, then by the chosen column.
import type { FsNode } from '../../../../src/http/web/page-types.js';

export type SortKey = 'name' | 'size' | 'modified';
export type SortDir = 'asc' | 'desc';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function sortNodes(nodes: readonly FsNode[], key: SortKey, dir: SortDir): FsNode[] {
  const sign = dir === 'asc' ? 1 : -1;
  const byName = (a: FsNode, b: FsNode) =>
    collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const cmp = (a: FsNode, b: FsNode): number => {
    if (key === 'size') return a.file_size - b.file_size;
    if (key === 'modified') return Date.parse(a.modified) - Date.parse(b.modified);
    return 0;
  };
  return [...nodes].sort((a, b) => {
    if (a.type !== b.type) return a.type === 'dir' ? -1 : 1;
    // Equal sizes or times: by name, A to Z.
    return key === 'name' ? sign * byName(a, b) : sign * cmp(a, b) || byName(a, b);
  });
}
