import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite's WAL checkpoints on a thread of their own. By default the connection that commits runs
 * a checkpoint when the WAL passes 1,000 pages: copying pages into the database file and two
 * fsyncs, tens of milliseconds during which the event loop serves nothing. Serving processes turn
 * that off (down to a far safety net, SAFETY_NET_PAGES) and this thread checkpoints instead, with
 * a connection of its own, whenever the WAL has grown past CHECKPOINT_BYTES (PASSIVE: it never
 * waits for readers or writers; several processes' threads simply take turns).
 */

/** The WAL size (bytes) past which the thread checkpoints (SQLite's default: ~4 MiB). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;
/** How often the thread looks at the WAL's size (ms). */
const POLL_MS = 200;
/** The committing connection still checkpoints past this many WAL pages (the thread is gone). */
export const SAFETY_NET_PAGES = 16_384;

const THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const Sqlite = require(workerData.sqliteModule);
const db = new Sqlite(workerData.file);
db.pragma('busy_timeout = 0');
let stopped = false;
parentPort.on('message', (m) => {
  if (m === 'stop') {
    stopped = true;
    db.close();
    parentPort.close();
  }
});
function tick() {
  if (stopped) return;
  let size = 0;
  try {
    size = fs.statSync(workerData.file + '-wal').size;
  } catch {}
  if (size >= workerData.checkpointBytes) {
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)');
      parentPort.postMessage({ checkpointed: r.checkpointed, log: r.log });
    } catch (err) {
      parentPort.postMessage({ error: String(err && err.message) });
    }
  }
  setTimeout(tick, workerData.pollMs);
}
tick();
`;

export interface Checkpointer {
  /** Stop the thread (the database is closing). */
  stop(): Promise<void>;
  /** For tests: pages checkpointed by the thread so far. */
  readonly checkpointedPages: number;
}

/**
 * Start checkpointing `file` (the database file) on a thread; the thread never keeps the process
 * alive. `onError` hears of a checkpoint that failed or of the thread dying (the safety net then
 * takes over on the committing connection).
 */
export function startCheckpointer(
  file: string,
  onError: (err: Error) => void = () => {},
  opts: { checkpointBytes?: number; pollMs?: number } = {},
): Checkpointer {
  const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      file,
      sqliteModule,
      checkpointBytes: opts.checkpointBytes ?? CHECKPOINT_BYTES,
      pollMs: opts.pollMs ?? POLL_MS,
    },
  });
  const state = { checkpointedPages: 0, stopping: false };
  worker.on('message', (m: { checkpointed?: number; error?: string }) => {
    if (m.error) onError(new Error(`WAL checkpoint failed: ${m.error}`));
    else state.checkpointedPages += m.checkpointed ?? 0;
  });
  worker.on('error', (err) => onError(err));
  worker.on('exit', (code) => {
    if (!state.stopping) onError(new Error(`WAL checkpoint thread exited (${code})`));
  });
  // After the listeners (a 'message' listener refs the thread again).
  worker.unref();
  return {
    get checkpointedPages() {
      return state.checkpointedPages;
    },
    async stop() {
      if (state.stopping) return;
      state.stopping = true;
      const exited = new Promise((r) => worker.once('exit', r));
      worker.postMessage('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
      await worker.terminate();
    },
  };
}
