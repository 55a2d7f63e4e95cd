/**
 * A byte-budgeted LRU (Map iteration order is insertion order; a hit re-inserts). Every entry costs
 * its bytes plus `entryOverhead` (the key, the Buffer object, the Map entry): without it, a budget
 * of tiny values would allow millions of entries. A value that is a view into a larger allocation
 * (Node's 8 KiB pool, a slice of a bigger read) is copied into one of its own, so the budget counts
 * what the cache really keeps alive.
 */
export class LruBytes {
  private readonly map = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly budget: number,
    private readonly entryOverhead = 0,
  ) {}

  /** What the entries cost now, in bytes (overheads included). */
  get size(): number {
    return this.bytes;
  }

  get(key: string): Buffer | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Keep `value` (or its own copy, returned) if it fits the budget at all. */
  set(key: string, value: Buffer): Buffer {
    this.delete(key);
    const cost = value.length + this.entryOverhead;
    if (cost > this.budget) return value;
    const own = value.byteLength === value.buffer.byteLength ? value : copy(value);
    this.map.set(key, own);
    this.bytes += cost;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.length + this.entryOverhead;
    }
    return own;
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.bytes -= v.length + this.entryOverhead;
    }
  }
}

/** A copy in an allocation of its own (never a slice of the shared pool). */
function copy(value: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(value.length);
  value.copy(own);
  return own;
}
