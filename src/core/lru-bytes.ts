import { LRUCache } from 'lru-cache';

/**
 * A byte-budgeted LRU of buffers (lru-cache underneath: a hit only relinks the entry, where
 * deleting and re-inserting it in a Map cost up to a microsecond a hit once the cache held
 * thousands of entries, as V8 rehashed the table every few operations). Every entry costs its
 * bytes plus `entryOverhead` (the key, the Buffer object, the bookkeeping): without it, a budget of
 * tiny values would allow millions of entries. A value that is a view into a larger allocation
 * (Node's 8 KiB pool, a slice of a bigger read) is copied into one of its own, so the budget counts
 * what the cache really keeps alive.
 */
export class LruBytes {
  private readonly cache: LRUCache<string, Buffer>;

  constructor(
    private readonly budget: number,
    private readonly entryOverhead = 0,
  ) {
    this.cache = new LRUCache<string, Buffer>({
      maxSize: budget,
      sizeCalculation: (value) => Math.max(1, value.length + entryOverhead),
    });
  }

  /** What the entries cost now, in bytes (overheads included). */
  get size(): number {
    return this.cache.calculatedSize;
  }

  get(key: string): Buffer | undefined {
    return this.cache.get(key);
  }

  /** Keep `value` (or its own copy, returned) if it fits the budget at all. */
  set(key: string, value: Buffer): Buffer {
    this.cache.delete(key);
    if (value.length + this.entryOverhead > this.budget) return value;
    const own = value.byteLength === value.buffer.byteLength ? value : copy(value);
    this.cache.set(key, own);
    return own;
  }

  delete(key: string): void {
    this.cache.delete(key);
  }
}

/** A copy in an allocation of its own (never a slice of the shared pool). */
function copy(value: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(value.length);
  value.copy(own);
  return own;
}
