import { Worker } from 'node:worker_threads';

/**
 * SHA-256 on a thread of its own. Hashing a 1 GiB upload costs ~0.6 s of CPU; done on the main
 * thread it stops the event loop from reading the socket (and from serving every other request)
 * meanwhile. Here the main thread only copies the body into shared buffers (SharedArrayBuffer:
 * the thread reads the same memory, nothing is copied by the message) while the thread hashes
 * them and the thread pool writes them to disk, all three at once.
 *
 * One thread per process, started at first use and unreferenced (it never keeps a process
 * alive). If it dies, every hash in progress fails (the uploads answer an error and leave
 * nothing behind), and the next hash starts a new thread.
 */

// Plain JavaScript evaluated in the thread: the same from src/ (tests) and dist/.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
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
  }
});
`;

type Waiter = { resolve: (digest: string | undefined) => void; reject: (err: Error) => void };

class HashThread {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private seq = 0;
  private nextId = 0;

  /** The running thread, started if need be. */
  current(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: { seq: number; digest?: string }) => {
      const w = this.waiting.get(m.seq);
      this.waiting.delete(m.seq);
      w?.resolve(m.digest);
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`hash thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(err);
  }

  newId(): number {
    return ++this.nextId;
  }

  /** Post a message that the thread answers; resolves with the answer's digest, if any. */
  ask(worker: Worker, message: Record<string, unknown>): Promise<string | undefined> {
    if (this.worker !== worker) return Promise.reject(new Error('hash thread restarted'));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage({ ...message, seq });
    });
  }

  /** For tests: end the thread as a crash would. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }
}

const thread = new HashThread();

/** One SHA-256 computed on the hash thread, fed in order. */
export class ThreadHash {
  private readonly worker = thread.current();
  private readonly id = thread.newId();
  private done = false;

  /**
   * Hash `length` bytes at the start of `buffer`. The buffer must not change until the promise
   * settles. Updates are hashed in the order they are made.
   */
  update(buffer: SharedArrayBuffer, length: number): Promise<void> {
    return thread
      .ask(this.worker, { op: 'update', id: this.id, buffer, length })
      .then(() => undefined);
  }

  /** The hex digest of everything updated so far (after every update before it). */
  async digest(): Promise<string> {
    this.done = true;
    return (await thread.ask(this.worker, { op: 'digest', id: this.id }))!;
  }

  /** Forget this hash (a failed upload). */
  drop(): void {
    if (this.done) return;
    this.done = true;
    try {
      this.worker.postMessage({ op: 'drop', id: this.id });
    } catch {
      // The thread is gone: so is the hash.
    }
  }
}

/** For tests: kill the hash thread, as if it crashed. */
export function killHashThread(): Promise<void> {
  return thread.kill();
}
