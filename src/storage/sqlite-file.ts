import path from 'node:path';

/** Where the embedded metadata store lives: the SQLite database in the data dir. */
export function sqlitePath(dataDir: string): string {
  return path.join(dataDir, 'stowage.db');
}
