import { describe, expect, it } from 'vitest';
import { MemoryState } from './memory-state.js';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('MemoryState', () => {
  it('increment adds an amount (batched sums); exists sees live keys only', async () => {
    const c = clock();
    const state = new MemoryState(c.now);
    expect(await state.exists('k')).toBe(false);
    expect(await state.increment('k', 1000, 500)).toEqual({ count: 500, resetMs: 1000 });
    expect(await state.increment('k', 1000, 25)).toEqual({ count: 525, resetMs: 1000 });
    expect(await state.exists('k')).toBe(true);
    await state.claim('m', 100);
    expect(await state.exists('m')).toBe(true);
    c.advance(100);
    expect(await state.exists('m')).toBe(false);
    c.advance(900);
    expect(await state.exists('k')).toBe(false);
    expect(await state.increment('k', 1000, 3)).toEqual({ count: 3, resetMs: 1000 });
  });

  describe('increment: fixed windows that start with the first event', () => {
    it('counts within a window and reports the time left in it', async () => {
      const c = clock();
      const state = new MemoryState(c.now);
      expect(await state.increment('k', 1000)).toEqual({ count: 1, resetMs: 1000 });
      c.advance(300);
      expect(await state.increment('k', 1000)).toEqual({ count: 2, resetMs: 700 });
      c.advance(699);
      expect(await state.increment('k', 1000)).toEqual({ count: 3, resetMs: 1 });
    });

    it('a later event does not extend the window (nor does another windowMs)', async () => {
      const c = clock();
      const state = new MemoryState(c.now);
      await state.increment('k', 1000);
      c.advance(500);
      expect(await state.increment('k', 60_000)).toEqual({ count: 2, resetMs: 500 });
    });

    it('a new window starts after expiry, counting from 1 again', async () => {
      const c = clock();
      const state = new MemoryState(c.now);
      await state.increment('k', 1000);
      await state.increment('k', 1000);
      c.advance(1000); // the window is [start, start + 1000)
      expect(await state.increment('k', 1000)).toEqual({ count: 1, resetMs: 1000 });
      c.advance(10);
      expect(await state.increment('k', 1000)).toEqual({ count: 2, resetMs: 990 });
    });

    it('keys are counted apart', async () => {
      const state = new MemoryState(clock().now);
      await state.increment('a', 1000);
      await state.increment('a', 1000);
      expect(await state.increment('b', 1000)).toEqual({ count: 1, resetMs: 1000 });
      expect((await state.increment('a', 1000)).count).toBe(3);
    });
  });

  describe('claim', () => {
    it('is true once, false until the TTL passes, then true again', async () => {
      const c = clock();
      const state = new MemoryState(c.now);
      expect(await state.claim('m', 5000)).toBe(true);
      expect(await state.claim('m', 5000)).toBe(false);
      c.advance(4999);
      expect(await state.claim('m', 5000)).toBe(false);
      c.advance(1);
      expect(await state.claim('m', 5000)).toBe(true);
      expect(await state.claim('m', 5000)).toBe(false);
    });

    it('a refused claim does not extend the mark', async () => {
      const c = clock();
      const state = new MemoryState(c.now);
      await state.claim('m', 1000);
      c.advance(900);
      expect(await state.claim('m', 1000)).toBe(false);
      c.advance(100);
      expect(await state.claim('m', 1000)).toBe(true);
    });

    it('concurrent claims of one key: exactly one wins', async () => {
      const state = new MemoryState(clock().now);
      const results = await Promise.all(Array.from({ length: 10 }, () => state.claim('x', 1000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('distinct keys are claimed independently', async () => {
      const state = new MemoryState(clock().now);
      expect(await state.claim('dl:file1:client1', 1000)).toBe(true);
      expect(await state.claim('dl:file1:client2', 1000)).toBe(true);
      expect(await state.claim('dl:file2:client1', 1000)).toBe(true);
      expect(await state.claim('dl:file1:client1', 1000)).toBe(false);
    });
  });

  describe('the entry bound (maxEntries)', () => {
    /** The number of entries held (private: read here only to check the bound). */
    const size = (state: MemoryState) =>
      (state as unknown as { entries: Map<string, unknown> }).entries.size;

    it('never holds more than maxEntries, however many keys come', async () => {
      const state = new MemoryState(clock().now, 10);
      for (let i = 0; i < 1000; i++) {
        await state.claim(`c${i}`, 60_000);
        await state.increment(`i${i}`, 60_000);
        expect(size(state)).toBeLessThanOrEqual(10);
      }
      expect(size(state)).toBe(10);
    });

    it('when full of live entries, the oldest go first and the newest stay', async () => {
      const state = new MemoryState(clock().now, 3);
      for (let i = 0; i < 10; i++) expect(await state.claim(`k${i}`, 60_000)).toBe(true);
      // The newest three are still marked (a refused claim changes nothing)...
      for (const k of ['k7', 'k8', 'k9']) expect(await state.claim(k, 60_000)).toBe(false);
      // ...the oldest was dropped to make room: claimable again.
      expect(await state.claim('k0', 60_000)).toBe(true);
    });

    it('expired entries are swept before any live one is dropped', async () => {
      const c = clock();
      const state = new MemoryState(c.now, 3);
      await state.claim('short', 100);
      await state.claim('long1', 60_000);
      await state.claim('long2', 60_000);
      c.advance(100); // 'short' has expired: making room for 'new' removes it, not a live entry
      expect(await state.claim('new', 60_000)).toBe(true);
      expect(size(state)).toBe(3);
      expect(await state.claim('long1', 60_000)).toBe(false);
      expect(await state.claim('long2', 60_000)).toBe(false);
      expect(await state.claim('new', 60_000)).toBe(false);
    });

    it('counting windows are bounded too', async () => {
      const state = new MemoryState(clock().now, 2);
      await state.increment('a', 60_000);
      await state.increment('a', 60_000);
      await state.increment('b', 60_000);
      await state.increment('c', 60_000); // drops 'a', the oldest
      expect(size(state)).toBe(2);
      expect(await state.increment('a', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    });
  });

  it('close() forgets everything', async () => {
    const state = new MemoryState(clock().now);
    await state.claim('m', 60_000);
    await state.close();
    expect(await state.claim('m', 60_000)).toBe(true);
  });
});
