import { LRUCache } from 'lru-cache';
import type { RenderedImage } from '../media-ports.js';

/** A byte-budgeted LRU of rendered images (lru-cache: a hit relinks, see LruBytes). */
export class ImageMemory {
  private readonly cache: LRUCache<string, RenderedImage>;

  constructor(private readonly budget: number) {
    this.cache = new LRUCache<string, RenderedImage>({
      maxSize: budget,
      sizeCalculation: (value) => Math.max(1, value.data.length),
    });
  }

  get(key: string): RenderedImage | undefined {
    return this.cache.get(key);
  }

  set(key: string, value: RenderedImage): void {
    this.cache.delete(key);
    if (value.data.length > this.budget / 8) return; // big frames stay in the blob store only
    this.cache.set(key, value);
  }

  delete(key: string): void {
    this.cache.delete(key);
  }

  deletePrefix(prefix: string): void {
    for (const k of [...this.cache.keys()]) if (k.startsWith(prefix)) this.cache.delete(k);
  }
}
