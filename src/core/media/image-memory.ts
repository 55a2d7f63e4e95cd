import type { RenderedImage } from '../media-ports.js';

/** A byte-budgeted LRU of rendered images. */
export class ImageMemory {
  private readonly map = new Map<string, RenderedImage>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get(key: string): RenderedImage | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: RenderedImage): void {
    this.delete(key);
    if (value.data.length > this.budget / 8) return; // big frames stay in the blob store only
    this.map.set(key, value);
    this.bytes += value.data.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.data.length;
    }
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.bytes -= v.data.length;
    }
  }

  deletePrefix(prefix: string): void {
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.delete(k);
  }
}
