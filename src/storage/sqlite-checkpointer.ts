import Sqlite from 'better-sqlite3';

/**
 * SQLite's own automatic checkpoint runs in the connection that commits, on the thread that
 * commits: under `--workers` that is a worker's event loop, stalled ~10-30 ms (the pages written
 * to the database file, then its fsync) every ~170 small uploads; measured with better-sqlite3
 * alone, checkpoints were 125 of the ~200 µs of SQLite work per 4 KiB upload. With a checkpointer
 * the workers' connections checkpoint only past `WORKER_AUTOCHECKPOINT_PAGES` (a backstop, should
 * the checkpointer stop), and the cluster's primary, which only supervises, does the work.
 */
export const WORKER_AUTOCHECKPOINT_PAGES = 20_000;

export type CheckpointerOptions = {
  /** How often to checkpoint (ms). */
  intervalMs?: number;
  /**
   * WAL frames left after the passive pass above which the log is restarted (the writers held off
   * for the few frames left, so the next commit writes from the WAL's start again).
   */
  restartFrames?: number;
  /** A checkpoint failed (the next tick tries again). */
  onError?: (err: Error) => void;
};

export type CheckpointResult = { busy: boolean; log: number; checkpointed: number };

/**
 * Copies the WAL into the database file from a connection of its own, off the writers' threads.
 *
 * Each tick first runs a PASSIVE checkpoint: it copies every frame no reader still needs and
 * blocks no one. Under a steady stream of commits that never catches up (frames keep arriving
 * while it copies), and SQLite restarts the log from its start only when a writer finds it fully
 * copied, so the WAL would grow for as long as the load lasts. When more than `restartFrames` are
 * left, a RESTART checkpoint follows: it takes the write lock for the remainder (the workers'
 * write batchers see SQLITE_BUSY and retry asynchronously, their event loops free) and leaves the
 * log to be rewritten from the start. Its busy timeout is 0: if a writer holds the lock, the next
 * tick tries again.
 */
export class SqliteCheckpointer {
  private readonly db: Sqlite.Database;
  private timer: NodeJS.Timeout | null = null;
  private readonly restartFrames: number;

  constructor(
    file: string,
    private readonly opts: CheckpointerOptions = {},
  ) {
    this.restartFrames = opts.restartFrames ?? 4_000;
    this.db = new Sqlite(file, { fileMustExist: true });
    this.db.pragma('busy_timeout = 0');
    // This connection never writes rows; never let its close checkpoint and delete the WAL the
    // workers still use (SQLite does that only for the last connection anyway).
    this.db.pragma('wal_autocheckpoint = 0');
  }

  /** One checkpoint pass (see the class). Never throws: errors go to `onError`. */
  tick(): CheckpointResult | null {
    try {
      let r = this.checkpoint('PASSIVE');
      // `log` is how far the WAL extends: it shrinks only when a writer restarts it, so a log
      // already restarted and fully copied (an idle instance) needs nothing more.
      const settled = r.log === this.restartedAt && r.checkpointed === r.log;
      if (!r.busy && r.log > this.restartFrames && !settled) {
        const restarted = this.checkpoint('RESTART');
        if (!restarted.busy) {
          r = restarted;
          this.restartedAt = restarted.log;
        }
      }
      return r;
    } catch (err) {
      this.opts.onError?.(err as Error);
      return null;
    }
  }

  private restartedAt = -1;

  private checkpoint(mode: 'PASSIVE' | 'RESTART'): CheckpointResult {
    try {
      const [row] = this.db.pragma(`wal_checkpoint(${mode})`) as Array<{
        busy: number;
        log: number;
        checkpointed: number;
      }>;
      return { busy: row!.busy !== 0, log: row!.log, checkpointed: row!.checkpointed };
    } catch (err) {
      // Another connection holds the lock this mode needs: not an error, the next tick retries.
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        return { busy: true, log: -1, checkpointed: -1 };
      }
      throw err;
    }
  }

  /** Tick every `intervalMs` until `stop`. The timer keeps no process alive. */
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.opts.intervalMs ?? 200);
      this.timer.unref();
    }
    return this;
  }

  /** Stop ticking and close the connection. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.db.open) this.db.close();
  }
}
