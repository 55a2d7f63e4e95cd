import { describe, expect, it } from 'vitest';
import { LruBytes } from './lru-bytes.js';

describe('LruBytes', () => {
  it('keeps at most its budget in bytes, dropping the least recently used first', () => {
    const lru = new LruBytes(10);
    lru.set('a', Buffer.alloc(4));
    lru.set('b', Buffer.alloc(4));
    expect(lru.get('a')?.length).toBe(4); // a is now the most recent
    lru.set('c', Buffer.alloc(4)); // 12 > 10: b goes
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBeDefined();
    expect(lru.get('c')).toBeDefined();
  });

  it('counts a replaced or deleted entry out of the budget', () => {
    const lru = new LruBytes(10);
    lru.set('a', Buffer.alloc(8));
    lru.set('a', Buffer.alloc(2));
    lru.set('b', Buffer.alloc(8));
    expect(lru.get('a')).toBeDefined();
    lru.delete('b');
    lru.set('c', Buffer.alloc(8));
    expect(lru.get('a')).toBeDefined();
    expect(lru.get('c')).toBeDefined();
  });
});

describe('LruBytes: what an entry really costs', () => {
  it('charges every entry its overhead: a budget of tiny values holds few entries', () => {
    const lru = new LruBytes(1000, 200);
    for (let i = 0; i < 100; i++) lru.set(`k${i}`, Buffer.from([i]));
    // 201 bytes each: four fit in 1000.
    expect(lru.size).toBe(4 * 201);
    expect([...Array(100).keys()].filter((i) => lru.get(`k${i}`)).length).toBe(4);
    expect(lru.get('k99')).toBeDefined();
  });

  it('keeps its own copy of a slice of a larger allocation, not the allocation', () => {
    const big = Buffer.alloc(64 * 1024, 7);
    const lru = new LruBytes(1 << 20);
    const kept = lru.set('a', big.subarray(10, 20));
    expect(kept.buffer.byteLength).toBe(10);
    expect(lru.get('a')).toBe(kept);
    expect([...kept]).toEqual(Array(10).fill(7));
    // A whole allocation is kept as it is.
    const whole = Buffer.allocUnsafeSlow(10);
    expect(lru.set('b', whole)).toBe(whole);
  });

  it('does not keep a value larger than the whole budget', () => {
    const lru = new LruBytes(10);
    lru.set('a', Buffer.alloc(4));
    lru.set('b', Buffer.alloc(11));
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBeDefined();
  });
});

describe('LruBytes: edge values', () => {
  it('keeps an empty value (it costs its overhead, or one byte without one)', () => {
    const lru = new LruBytes(10);
    expect(lru.set('empty', Buffer.alloc(0)).length).toBe(0);
    expect(lru.get('empty')?.length).toBe(0);
    expect(lru.size).toBe(1);
  });

  it('keeps the recency of many entries as hits reorder them', () => {
    const lru = new LruBytes(1000 * 10);
    for (let i = 0; i < 1000; i++) lru.set(`k${i}`, Buffer.alloc(10, i % 256));
    // Every even key is used again: the odd ones are now the least recent, oldest first.
    for (let i = 0; i < 1000; i += 2) expect(lru.get(`k${i}`)?.[0]).toBe(i % 256);
    for (let i = 0; i < 500; i++) lru.set(`n${i}`, Buffer.alloc(10));
    const kept = [...Array(1000).keys()].filter((i) => lru.get(`k${i}`));
    expect(kept).toEqual([...Array(500).keys()].map((i) => i * 2));
    expect(lru.size).toBe(1000 * 10);
  });
});
