import { describe, expect, it } from 'vitest';
import { ImageMemory } from './image-memory.js';

const img = (bytes: number) => ({ data: Buffer.alloc(bytes), width: 1, height: 1 });

describe('ImageMemory', () => {
  it('evicts the least recently used images beyond its byte budget', () => {
    const m = new ImageMemory(800);
    m.set('a', img(100));
    m.set('b', img(100));
    m.set('c', img(100));
    m.get('a'); // now b is the oldest
    for (let i = 0; i < 6; i++) m.set(`x${i}`, img(100));
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBeDefined();
    expect(m.get('c')).toBeDefined();
  });

  it('keeps nothing larger than an eighth of its budget', () => {
    const m = new ImageMemory(800);
    m.set('big', img(101));
    expect(m.get('big')).toBeUndefined();
    m.set('small', img(100));
    expect(m.get('small')).toBeDefined();
  });

  it('forgets every key under a prefix', () => {
    const m = new ImageMemory(800);
    m.set('k1/thumb', img(10));
    m.set('k1/frame', img(10));
    m.set('k2/thumb', img(10));
    m.deletePrefix('k1/');
    expect(m.get('k1/thumb')).toBeUndefined();
    expect(m.get('k1/frame')).toBeUndefined();
    expect(m.get('k2/thumb')).toBeDefined();
  });
});
