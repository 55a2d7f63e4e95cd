import type { IncomingMessage } from 'node:http';

/**
 * Bytes that request bodies read whole into memory (JSON, forms) may hold at once, in the whole
 * process. A body reserves its size (declared, else its cap) before its first byte is read; when
 * the budget is spent it waits, unread, in arrival order. One reservation per body, taken at
 * once, so waiting bodies hold nothing and cannot starve each other.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /**
   * Reserve `bytes` (at most the capacity); resolves to the release function, or to null if the
   * request went away while waiting.
   */
  async reserve(bytes: number, req: IncomingMessage): Promise<(() => void) | null> {
    const n = Math.min(bytes, this.capacity);
    if (this.waiting.length === 0 && this.used + n <= this.capacity) {
      this.used += n;
      return this.releaser(n);
    }
    return new Promise((resolve) => {
      const entry = {
        bytes: n,
        grant: () => {
          req.off('close', gone);
          resolve(this.releaser(n));
        },
      };
      const gone = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        this.drain();
        resolve(null);
      };
      req.once('close', gone);
      this.waiting.push(entry);
    });
  }

  private releaser(n: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= n;
      this.drain();
    };
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.capacity) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.grant();
    }
  }
}

/** The process's budget for whole-read bodies (32 MiB: eight list bodies of the largest size). */
export const BODY_BUDGET = new ByteBudget(32 * 1024 * 1024);
