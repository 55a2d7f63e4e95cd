import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { exposeGc } from './expose.js';
import { nativeHeapTrim } from './native-heap.js';

/** This process's resident anonymous memory (the C heap's pages are there), in bytes. */
function rssAnon(): number {
  const m = /^RssAnon:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'latin1'));
  return Number(m![1]) * 1024;
}

/**
 * 2,000 native buffers of `size` bytes (malloc'd: under glibc's mmap threshold), each written so
 * its pages are resident, all alive until they are all made; then every 8th one stays alive, so
 * the dead ones are holes inside the heap, not at its top.
 */
function fragment(size: number): { kept: Buffer[]; freed: number } {
  const all = Array.from({ length: 2000 }, (_, i) => Buffer.allocUnsafeSlow(size).fill(i & 0xff));
  const kept = all.filter((_, i) => i % 8 === 0);
  return { kept, freed: (all.length - kept.length) * size }; // 105 MB freed at 60,000 bytes
}

describe('nativeHeapTrim (glibc malloc_trim through koffi)', () => {
  it('is found on this Linux/glibc machine, once', () => {
    const trim = nativeHeapTrim();
    expect(typeof trim).toBe('function');
    expect(nativeHeapTrim()).toBe(trim);
  });

  it('gives back the free pages between live chunks, which free() keeps', async () => {
    const trim = nativeHeapTrim()!;
    const gc = exposeGc()!;
    trim();
    const SIZE = 60_000;
    const { kept, freed } = fragment(SIZE);
    // Collections free the dead buffers' backing stores (V8 may sweep them on another thread).
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(50);
    }
    const before = rssAnon();
    expect(trim()).toBe(true);
    const after = rssAnon();
    // free() kept most of the holes resident; the trim gives most of them back.
    expect(before - after).toBeGreaterThan(freed / 2);
    expect(kept.every((b, i) => b[0] === ((i * 8) & 0xff) && b[SIZE - 1] === b[0])).toBe(true);
  });
});
