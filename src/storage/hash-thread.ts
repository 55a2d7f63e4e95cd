import { storageThread } from './storage-thread.js';

/**
 * SHA-256 on the storage thread (`storage-thread.ts`). Hashing a 1 GiB upload costs ~0.6 s of
 * CPU; done on the main thread it stops the event loop from reading the socket (and from serving
 * every other request) meanwhile. Here the main thread only copies the body into shared buffers
 * (SharedArrayBuffer: the thread reads the same memory, nothing is copied by the message) while
 * the thread hashes them and the thread pool writes them to disk, all three at once.
 */
export class ThreadHash {
  private readonly worker = storageThread.current();
  private readonly id = storageThread.newId();
  private done = false;

  /**
   * Hash `length` bytes at the start of `buffer`. The buffer must not change until the promise
   * settles. Updates are hashed in the order they are made.
   */
  update(buffer: SharedArrayBuffer, length: number): Promise<void> {
    return storageThread
      .ask(this.worker, { op: 'update', id: this.id, buffer, length })
      .then(() => undefined);
  }

  /** The hex digest of everything updated so far (after every update before it). */
  async digest(): Promise<string> {
    this.done = true;
    return (await storageThread.ask(this.worker, { op: 'digest', id: this.id }))!;
  }

  /** Forget this hash (a failed upload). */
  drop(): void {
    if (this.done) return;
    this.done = true;
    storageThread.tell(this.worker, { op: 'drop', id: this.id });
  }
}
