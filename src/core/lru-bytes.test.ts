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
