import { describe, expect, it } from 'vitest';
import { stagedBlob } from './blob-store.js';

describe('stagedBlob', () => {
  const content = { sha256: 'ab'.repeat(32), size: 3, head: Buffer.from('abc') };

  it('carries the content facts, the key being the SHA-256', () => {
    const b = stagedBlob(content, { commit: async () => 'loc', discard: async () => {} });
    expect([b.key, b.sha256, b.size, b.head.toString()]).toEqual([
      content.sha256,
      content.sha256,
      3,
      'abc',
    ]);
  });

  it('commits once: a second commit throws, a discard after it does nothing', async () => {
    let commits = 0;
    let discards = 0;
    const b = stagedBlob(content, {
      commit: async () => `loc${++commits}`,
      discard: async () => void discards++,
    });
    expect(await b.commit()).toBe('loc1');
    await expect(b.commit()).rejects.toThrow('already settled');
    await b.discard();
    expect([commits, discards]).toEqual([1, 0]);
  });

  it('discards once, and cannot be committed after', async () => {
    let discards = 0;
    const b = stagedBlob(content, {
      commit: async () => 'loc',
      discard: async () => void discards++,
    });
    await b.discard();
    await b.discard();
    await expect(b.commit()).rejects.toThrow('already settled');
    expect(discards).toBe(1);
  });

  it('a failed commit stays settled (the store cleaned up after itself)', async () => {
    let discards = 0;
    const b = stagedBlob(content, {
      commit: async () => {
        throw new Error('disk full');
      },
      discard: async () => void discards++,
    });
    await expect(b.commit()).rejects.toThrow('disk full');
    await b.discard();
    expect(discards).toBe(0);
  });
});
