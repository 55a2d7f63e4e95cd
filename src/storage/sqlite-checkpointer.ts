import { createRequire } from 'node:module';
import { storageThread } from './storage-thread.js';

/**
 * SQLite's WAL checkpoints on the storage thread (`storage-thread.ts`). By default the connection
 * that commits runs a checkpoint when the WAL passes 1,000 pages: copying pages into the database
 * file and two fsyncs, tens of milliseconds during which the event loop serves nothing. Serving
 * processes turn that off (down to a far safety net, SAFETY_NET_PAGES) and the thread checkpoints
 * instead, with a connection of its own, whenever the WAL has grown past CHECKPOINT_BYTES
 * (PASSIVE: it never waits for readers or writers; several processes' threads take turns).
 */

/** The WAL size (bytes) past which the thread checkpoints (SQLite's default: ~4 MiB). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;
/** How often the thread looks at the WAL's size (ms). */
const POLL_MS = 200;
/** The committing connection still checkpoints past this many WAL pages (the thread is gone). */
export const SAFETY_NET_PAGES = 16_384;

export interface Checkpointer {
  /** Stop checkpointing (the database is closing). */
  stop(): void;
  /** For tests: pages checkpointed by the thread so far. */
  readonly checkpointedPages: number;
}

/**
 * Start checkpointing `file` (the database file) on the storage thread, which it never keeps
 * alive. `onError` hears of a checkpoint that failed or of the thread dying (the committing
 * connection's safety net then takes over).
 */
export function startCheckpointer(
  file: string,
  onError: (err: Error) => void = () => {},
  opts: { checkpointBytes?: number; pollMs?: number } = {},
): Checkpointer {
  let checkpointedPages = 0;
  const loop = storageThread.checkpoint(
    {
      file,
      sqliteModule: createRequire(import.meta.url).resolve('better-sqlite3'),
      checkpointBytes: opts.checkpointBytes ?? CHECKPOINT_BYTES,
      pollMs: opts.pollMs ?? POLL_MS,
    },
    (e) => {
      if ('checkpointed' in e) checkpointedPages += e.checkpointed;
      else if ('lost' in e) onError(e.lost);
      else onError(new Error(`WAL checkpoint failed: ${e.error}`));
    },
  );
  return {
    get checkpointedPages() {
      return checkpointedPages;
    },
    stop: () => loop.stop(),
  };
}
