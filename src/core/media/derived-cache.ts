import { Readable } from 'node:stream';
import { CoreError } from '../errors.js';
import type { DerivedRecord, RenderedImage } from '../media-ports.js';
import type { MediaContext } from './context.js';
import { ImageMemory } from './image-memory.js';
import { errorText } from './types.js';

/** Rendered images kept in memory, keyed by content hash and variant (never stale). */
const MEMORY_CACHE_BYTES = 16 * 1024 * 1024;

/** The derived-image cache: memory, then the blob store (a `media_derived` row per variant). */
export class DerivedCache {
  private readonly memory = new ImageMemory(MEMORY_CACHE_BYTES);

  constructor(private readonly ctx: MediaContext) {}

  async get(blobKey: string, variant: string): Promise<RenderedImage | null> {
    const mem = this.memory.get(`${blobKey}/${variant}`);
    if (mem) return mem;
    const rec = await this.ctx.repo.getDerived(blobKey, variant);
    if (!rec) return null;
    let data: Buffer;
    try {
      data = await this.ctx.blobs.read(rec.location);
    } catch (err) {
      if (!(err instanceof CoreError && err.code === 'not_found')) throw err;
      // The stored object is gone (a crash between deleting rows and objects): render again.
      await this.ctx.repo.deleteDerived(blobKey, variant, rec.location);
      return null;
    }
    const img = { data, width: rec.width, height: rec.height };
    this.memory.set(`${blobKey}/${variant}`, img);
    return img;
  }

  /** Keep a fresh rendering in memory and, in the background, in the blob store. */
  keep(blobKey: string, variant: string, img: RenderedImage): void {
    this.memory.set(`${blobKey}/${variant}`, img);
    this.ctx.jobs.track(
      this.store(blobKey, variant, img).catch((err) =>
        this.ctx
          .log()
          .warn({ blob: blobKey, variant, error: errorText(err) }, 'media: caching failed'),
      ),
    );
  }

  /** The content is gone: drop what memory holds of it (the stored rows go with the blob). */
  forget(blobKey: string): void {
    this.memory.deletePrefix(`${blobKey}/`);
  }

  private async store(blobKey: string, variant: string, img: RenderedImage): Promise<void> {
    const { blobs, repo } = this.ctx;
    const staged = await blobs.put(Readable.from([img.data]), {
      maxBytes: img.data.length + 1,
      inlineMax: 0,
    });
    let location: string;
    try {
      location = await staged.commit();
    } catch (err) {
      await staged.discard();
      throw err;
    }
    let kept: DerivedRecord | null;
    try {
      kept = await repo.insertDerived({
        blobKey,
        variant,
        location,
        size: img.data.length,
        width: img.width,
        height: img.height,
        createdAt: this.ctx.now(),
      });
    } catch (err) {
      await blobs.delete(location).catch(() => {});
      throw err;
    }
    // The blob was deleted meanwhile, or another process stored the same variant first.
    if (!kept || kept.location !== location) await blobs.delete(location);
  }
}
