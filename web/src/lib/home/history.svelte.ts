// "Your recent uploads on this browser": id, name, size and date of each upload, kept in
// localStorage (never sent anywhere). Read only in the browser, after hydration.

export interface RecentUpload {
  id: string;
  name: string;
  size: number;
  /** ISO date of the upload. */
  date: string;
}

const KEY = 'stowage.recent-uploads';
const MAX = 100;

export class RecentUploads {
  items: RecentUpload[] = $state([]);
  /** False until read from localStorage (the server render knows nothing). */
  loaded = $state(false);

  load(): void {
    this.items = read();
    this.loaded = true;
  }

  add(entry: RecentUpload): void {
    this.items = [entry, ...read().filter((e) => e.id !== entry.id)].slice(0, MAX);
    write(this.items);
  }

  remove(id: string): void {
    this.items = read().filter((e) => e.id !== id);
    write(this.items);
  }

  clear(): void {
    this.items = [];
    write([]);
  }
}

function read(): RecentUpload[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (e): e is RecentUpload =>
        typeof e === 'object' &&
        e !== null &&
        typeof e.id === 'string' &&
        typeof e.name === 'string' &&
        typeof e.size === 'number' &&
        typeof e.date === 'string',
    );
  } catch {
    return []; // storage disabled or garbage: no history
  }
}

function write(items: RecentUpload[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(items));
  } catch {
    // Private mode, quota: the history is a convenience only.
  }
}
