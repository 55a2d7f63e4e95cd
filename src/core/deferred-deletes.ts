import type { BlobStore } from './blob-store.js';

/**
 * Removal of stored objects that no row references any more, when the blob store cannot be
 * reached at that moment (S3 down). The metadata change is what counts: the delete has happened
 * for every client, and the bytes are removed here, retried with a growing delay (1 s, 2 s, 4 s …
 * up to 30 s between tries, `maxAttempts` tries). What is still left when the process stops or
 * gives up is an unreferenced object, which `stowage gc --fix` removes.
 */
export class DeferredDeletes {
  private readonly pending = new Map<string, { attempts: number; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(
    private readonly blobs: BlobStore,
    private readonly opts: { maxAttempts?: number; firstDelayMs?: number } = {},
  ) {}

  /** Delete now; on failure, keep retrying in the background. Never rejects. */
  async delete(location: string): Promise<void> {
    try {
      await this.blobs.delete(location);
    } catch {
      this.schedule(location, 1);
    }
  }

  /** Locations waiting for a retry. */
  get size(): number {
    return this.pending.size;
  }

  private schedule(location: string, attempts: number): void {
    if (this.closed || attempts >= (this.opts.maxAttempts ?? 12)) {
      this.pending.delete(location);
      return;
    }
    const delay = Math.min((this.opts.firstDelayMs ?? 1000) * 2 ** (attempts - 1), 30_000);
    const timer = setTimeout(() => {
      this.blobs.delete(location).then(
        () => this.pending.delete(location),
        () => this.schedule(location, attempts + 1),
      );
    }, delay);
    timer.unref();
    this.pending.set(location, { attempts, timer });
  }

  /** Stop retrying (the rest is left to `gc`). */
  close(): void {
    this.closed = true;
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
