import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('answers a value until its time is up', () => {
    const c = new TtlCache<string>(1000, 10);
    c.set('a', 'A', 0);
    expect(c.get('a', 999)).toBe('A');
    expect(c.get('a', 1000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('drops the expired entries when another is set: nothing is left of a past burst', () => {
    const c = new TtlCache<number>(1000, 100_000);
    for (let i = 0; i < 5000; i++) c.set(`k${i}`, i, i % 500);
    expect(c.size).toBe(5000);
    c.set('later', 1, 10_000);
    expect(c.size).toBe(1);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const c = new TtlCache<number>(60_000, 3);
    for (let i = 0; i < 5; i++) c.set(`k${i}`, i, i);
    expect(c.size).toBe(3);
    expect(c.get('k1', 10)).toBeUndefined();
    expect(c.get('k2', 10)).toBe(2);
    expect(c.get('k4', 10)).toBe(4);
  });

  it('a value set again moves to the back (it expires last)', () => {
    const c = new TtlCache<string>(100, 10);
    c.set('a', 'A', 0);
    c.set('b', 'B', 50);
    c.set('a', 'A2', 60);
    // At 155, b (set at 50) has expired and goes; a (set again at 60) has not.
    c.set('c', 'C', 155);
    expect(c.size).toBe(2);
    expect(c.get('a', 155)).toBe('A2');
  });

  it('keeps nothing with a TTL of 0', () => {
    const c = new TtlCache<string>(0, 10);
    c.set('a', 'A', 0);
    expect(c.size).toBe(0);
  });
});
