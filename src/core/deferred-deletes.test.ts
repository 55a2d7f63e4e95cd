import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from './blob-store.js';
import { DeferredDeletes } from './deferred-deletes.js';

/** A store whose deletes fail while `down`. */
function flakyStore() {
  const state = { down: true, attempts: 0, deleted: [] as string[] };
  const store = {
    delete: async (location: string) => {
      state.attempts++;
      if (state.down)
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      state.deleted.push(location);
    },
  } as unknown as BlobStore;
  return { store, state };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await sleep(5);
}

describe('DeferredDeletes', () => {
  it('never rejects while the store is down, and removes the object once it is back', async () => {
    const { store, state } = flakyStore();
    const d = new DeferredDeletes(store, { firstDelayMs: 5 });
    await expect(d.delete('b/1')).resolves.toBeUndefined();
    expect(d.size).toBe(1);
    await until(() => state.attempts >= 3);
    expect(state.deleted).toEqual([]);
    state.down = false;
    await until(() => d.size === 0);
    expect(state.deleted).toEqual(['b/1']);
    d.close();
  });

  it('gives up after maxAttempts (gc finds the rest) and stops retrying on close', async () => {
    const { store, state } = flakyStore();
    const d = new DeferredDeletes(store, { firstDelayMs: 1, maxAttempts: 3 });
    await d.delete('b/2');
    await until(() => d.size === 0);
    expect(state.attempts).toBe(3);

    const e = new DeferredDeletes(store, { firstDelayMs: 1000 });
    await e.delete('b/3');
    expect(e.size).toBe(1);
    e.close();
    expect(e.size).toBe(0);
  });
});
