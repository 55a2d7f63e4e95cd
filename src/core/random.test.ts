import { describe, expect, it } from 'vitest';
import { randomBytesPooled, randomHex } from './random.js';

describe('pooled randomness', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 4 KiB pool, 16 bytes each: 2,000 values cross several refills.
    for (let i = 0; i < 2000; i++) seen.add(randomHex(16));
    for (let i = 0; i < 2000; i++) seen.add(randomBytesPooled(16).toString('hex'));
    expect(seen.size).toBe(4000);
  });

  it('returns copies the pool cannot overwrite later', () => {
    const a = randomBytesPooled(32);
    const copy = Buffer.from(a);
    for (let i = 0; i < 1000; i++) randomBytesPooled(32);
    expect(a.equals(copy)).toBe(true);
  });

  it('gives the lengths asked for, large ones too, and roughly uniform bytes', () => {
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(randomBytesPooled(1000)).toHaveLength(1000);
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4000; i++) for (const b of randomBytesPooled(64)) counts[b]!++;
    // 256,000 bytes: ~1,000 per value; a stuck or biased pool would be far off.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
