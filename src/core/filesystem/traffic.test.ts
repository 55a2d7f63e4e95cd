import { describe, expect, it } from 'vitest';
import { NodeTrafficCounter } from './traffic.js';
import type { NodeTraffic } from './types.js';

describe('node traffic counter', () => {
  it('sums in memory, writes in one batch, and keeps a batch whose write failed', async () => {
    const written: Map<string, NodeTraffic>[] = [];
    let fail = true;
    const counter = new NodeTrafficCounter(
      {
        addTraffic: async (d) => {
          if (fail) throw new Error('database down');
          written.push(new Map(d));
        },
      },
      0,
    );
    counter.count('a', { downloads: 1, bytes: 10 });
    counter.count('a', { downloads: 0, bytes: 5 });
    counter.count('b', { downloads: 1, bytes: 1 });
    expect(counter.pendingOf(['a', 'b'])).toEqual({ downloads: 2, bytes: 16 });
    await expect(counter.flush()).rejects.toThrow('database down');
    expect(counter.pendingOf(['a'])).toEqual({ downloads: 1, bytes: 15 });
    fail = false;
    await counter.close();
    expect(written).toEqual([
      new Map([
        ['a', { downloads: 1, bytes: 15 }],
        ['b', { downloads: 1, bytes: 1 }],
      ]),
    ]);
    expect(counter.pendingOf(['a', 'b'])).toEqual({ downloads: 0, bytes: 0 });
  });
});
