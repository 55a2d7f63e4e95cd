import type { MediaContext } from './context.js';
import { errorText } from './types.js';

/** Released blobs forgotten per transaction (see DerivedCleanup.flush). */
const RELEASE_BATCH = 500;

/**
 * Forgetting what was derived from content that is gone: the `media` rows and stored images of
 * released blobs, gathered into batches, and the orphans a crash left (swept once at start).
 */
export class DerivedCleanup {
  /** Released blobs whose media rows and derived images are still to be removed. */
  private readonly releasing = new Set<string>();
  private flushing = false;

  constructor(private readonly ctx: MediaContext) {}

  released(blobKey: string): void {
    // Gathered: a recursive delete releases thousands of blobs at once, and one transaction per
    // blob (three statements each) kept the database busy for seconds.
    this.releasing.add(blobKey);
    if (!this.flushing) {
      this.flushing = true;
      this.ctx.jobs.track(this.flush());
    }
  }

  /** Forget what was derived from released blobs, RELEASE_BATCH blobs per transaction. */
  private async flush(): Promise<void> {
    try {
      // The releases of one delete arrive over a few turns of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.releasing.size > 0) {
        const keys: string[] = [];
        for (const k of this.releasing) {
          keys.push(k);
          if (keys.length === RELEASE_BATCH) break;
        }
        for (const k of keys) this.releasing.delete(k);
        try {
          const locations = await this.ctx.repo.releaseBlobs(keys);
          for (const loc of locations) await this.ctx.blobs.delete(loc);
        } catch (err) {
          this.ctx
            .log()
            .error(
              { blob: keys[0], blobs: keys.length, error: errorText(err) },
              'media: cleanup failed',
            );
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Remove derived images whose content is gone (left by a crash). Run once at start. */
  sweep(): void {
    this.ctx.jobs.track(
      (async () => {
        for (;;) {
          const locations = await this.ctx.repo.sweepOrphans(500);
          for (const loc of locations) await this.ctx.blobs.delete(loc);
          if (locations.length < 500 || this.ctx.closed()) break;
        }
      })().catch((err) => this.ctx.log().error({ error: errorText(err) }, 'media: sweep failed')),
    );
  }
}
