import { Worker } from 'node:worker_threads';

/**
 * One thread per process for the storage work that would otherwise stall the event loop: SHA-256
 * of uploads (`hash-thread.ts`) and SQLite's WAL checkpoints (`sqlite-checkpointer.ts`). One
 * thread, not one per job: each costs ~11 MiB of memory (a V8 isolate and a Node environment).
 *
 * Started at first use. It keeps the process alive only while a hash is in progress (a CLI
 * awaiting a digest); checkpoint loops never do. If it dies, every hash in progress fails (the
 * uploads answer an error and leave nothing behind), checkpoint loops report it (the committing
 * connection's own checkpoints take over), and the next use starts a new thread.
 */

// Plain JavaScript evaluated in the thread: the same from src/ (tests) and dist/.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const hashes = new Map();
const checkpoints = new Map();
function checkpointLoop(c) {
  if (!checkpoints.has(c.id)) return;
  let size = 0;
  try {
    size = fs.statSync(c.file + '-wal').size;
  } catch {}
  if (size >= c.checkpointBytes) {
    try {
      const [r] = c.db.pragma('wal_checkpoint(PASSIVE)');
      parentPort.postMessage({ checkpoint: c.id, checkpointed: r.checkpointed });
    } catch (err) {
      parentPort.postMessage({ checkpoint: c.id, error: String(err && err.message) });
    }
  }
  c.timer = setTimeout(() => checkpointLoop(c), c.pollMs);
}
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash('sha256')));
    h.update(new Uint8Array(m.buffer, 0, m.length));
    parentPort.postMessage({ seq: m.seq });
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id) ?? createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ seq: m.seq, digest: h.digest('hex') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  } else if (m.op === 'checkpoint-start') {
    let db;
    try {
      const Sqlite = require(m.sqliteModule);
      db = new Sqlite(m.file);
      db.pragma('busy_timeout = 0');
    } catch (err) {
      parentPort.postMessage({ checkpoint: m.id, error: String(err && err.message), fatal: true });
      return;
    }
    const c = { ...m, db };
    checkpoints.set(m.id, c);
    checkpointLoop(c);
  } else if (m.op === 'checkpoint-stop') {
    const c = checkpoints.get(m.id);
    checkpoints.delete(m.id);
    if (c) {
      clearTimeout(c.timer);
      c.db.close();
    }
  }
});
`;

type Waiter = { resolve: (digest: string | undefined) => void; reject: (err: Error) => void };
export type CheckpointEvent =
  { checkpointed: number } | { error: string; fatal?: boolean } | { lost: Error };

class StorageThread {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private readonly checkpointers = new Map<number, (e: CheckpointEvent) => void>();
  private seq = 0;
  private nextId = 0;

  /** The running thread, started if need be. */
  current(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    worker.on('message', (m: { seq?: number; digest?: string; checkpoint?: number }) => {
      if (m.checkpoint !== undefined) {
        this.checkpointers.get(m.checkpoint)?.(m as CheckpointEvent);
        return;
      }
      const w = this.waiting.get(m.seq!);
      this.waiting.delete(m.seq!);
      if (this.waiting.size === 0) worker.unref();
      w?.resolve(m.digest);
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`storage thread exited (${code})`)));
    // Referenced only while a hash is in progress (see ask). After the listeners: adding a
    // 'message' listener refs the thread again.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(err);
    const checkpointers = [...this.checkpointers.values()];
    this.checkpointers.clear();
    for (const c of checkpointers) c({ lost: err });
  }

  newId(): number {
    return ++this.nextId;
  }

  /** Post a message that the thread answers; resolves with the answer's digest, if any. */
  ask(worker: Worker, message: Record<string, unknown>): Promise<string | undefined> {
    if (this.worker !== worker) return Promise.reject(new Error('storage thread restarted'));
    const seq = ++this.seq;
    // Work in progress keeps the process alive; an idle thread does not.
    if (this.waiting.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage({ ...message, seq });
    });
  }

  /** Post a message that needs no answer (ignored if the thread is gone). */
  tell(worker: Worker, message: Record<string, unknown>): void {
    if (this.worker !== worker) return;
    try {
      worker.postMessage(message);
    } catch {
      // The thread is gone.
    }
  }

  /** Start a checkpoint loop on the thread; events reach `listener` until `stop` is called. */
  checkpoint(
    message: Record<string, unknown>,
    listener: (e: CheckpointEvent) => void,
  ): { stop(): void } {
    const worker = this.current();
    const id = this.newId();
    this.checkpointers.set(id, listener);
    this.tell(worker, { ...message, op: 'checkpoint-start', id });
    return {
      stop: () => {
        this.checkpointers.delete(id);
        this.tell(worker, { op: 'checkpoint-stop', id });
      },
    };
  }

  /** For tests: end the thread as a crash would. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }
}

/** This process's storage thread. */
export const storageThread = new StorageThread();

/** For tests: kill the storage thread, as if it crashed. */
export function killStorageThread(): Promise<void> {
  return storageThread.kill();
}
