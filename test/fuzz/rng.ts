/**
 * A small deterministic PRNG (mulberry32) with the helpers the generators use. Each request gets
 * its own generator seeded from (run seed, request index), so one request can be regenerated
 * alone (`STOWAGE_FUZZ_ONLY=<index>`) whatever the concurrency or the order of completion.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static forRequest(seed: number, index: number): Rng {
    // Mix the two so neighbouring indexes do not start from neighbouring states.
    let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return new Rng(h ^ (h >>> 16));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A size on a log scale in [min, max] (small sizes as likely as large orders of magnitude). */
  logInt(min: number, max: number): number {
    const lo = Math.log(min + 1);
    const hi = Math.log(max + 1);
    return Math.min(max, Math.max(min, Math.floor(Math.exp(lo + this.next() * (hi - lo)) - 1)));
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }

  /** A string of `n` characters drawn from `alphabet`. */
  str(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}
