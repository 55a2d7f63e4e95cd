// The My files table's data: what GET /api/user/files returns, searched and sorted.

export interface OwnedFile {
  id: string;
  name: string;
  size: number;
  views: number;
  downloads: number;
  date_upload: string;
  mime_type: string;
}

export type SortKey = 'name' | 'size' | 'date_upload' | 'views' | 'downloads';
export type SortDir = 'ascending' | 'descending';
/** How My files shows them: a table, or thumbnails. */
export type FilesView = 'table' | 'grid';

/** Files whose name contains every word of the query (case-insensitive). */
export function searchFiles(files: readonly OwnedFile[], query: string): OwnedFile[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...files];
  return files.filter((f) => {
    const name = f.name.toLowerCase();
    return words.every((w) => name.includes(w));
  });
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function sortFiles(files: OwnedFile[], key: SortKey, dir: SortDir): OwnedFile[] {
  const sign = dir === 'ascending' ? 1 : -1;
  return files.sort((a, b) => {
    let c: number;
    if (key === 'name') c = collator.compare(a.name, b.name);
    else if (key === 'date_upload') c = a.date_upload.localeCompare(b.date_upload);
    else c = a[key] - b[key];
    return sign * (c || collator.compare(a.name, b.name) || a.id.localeCompare(b.id));
  });
}

/** Run `task` on each item, `width` at a time; the failures, by item. */
export async function eachLimited<T>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<unknown>,
): Promise<{ item: T; error: unknown }[]> {
  const failed: { item: T; error: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failed.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return failed;
}
