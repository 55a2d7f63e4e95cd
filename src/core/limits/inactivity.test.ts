import { describe, expect, it } from 'vitest';
import type { FileRecord } from '../records.js';
import { InactivityExpiry } from './inactivity.js';
import type { LimitsRepository } from './records.js';

const DAY = 24 * 3600 * 1000;

function file(over: Partial<FileRecord> = {}): FileRecord {
  return {
    id: 'f1',
    name: 'a',
    size: 1000,
    mimeType: 'text/plain',
    blobKey: 'k',
    blobLocation: 'l',
    ownerId: null,
    deleteKeyHash: null,
    createdAt: 0,
    lastViewAt: 0,
    views: 0,
    downloads: 0,
    bandwidthUsed: 0,
    bandwidthPaid: 0,
    lastDownloadAt: 0,
    ...over,
  };
}

function setup(days = 60, fail = false) {
  let now = 0;
  const resets: { ids: readonly string[]; at: number }[] = [];
  const repo: LimitsRepository = {
    usageOf: async () => ({ count: 0, bytes: 0 }),
    uploadedSince: async () => 0,
    listInactive: async () => [],
    resetTimers: async (ids, at) => {
      if (fail) throw new Error('database down');
      resets.push({ ids, at });
    },
    exemptUsers: async () => ['exempt-user'],
  };
  const inactivity = new InactivityExpiry(repo, {
    days,
    now: () => now,
    flushMs: 60_000,
    remove: async () => {},
  });
  return { inactivity, resets, set: (t: number) => (now = t) };
}

describe('InactivityExpiry', () => {
  it('resets the timer for a download of more than 10%, once a day, in one batch', async () => {
    const { inactivity, resets, set } = setup();
    set(DAY + 5);
    inactivity.downloaded(file(), 100); // exactly 10%: no
    inactivity.downloaded(file(), 101);
    inactivity.downloaded(file(), 1000); // marked today already
    inactivity.downloaded(file({ id: 'f2' }), 1000);
    await inactivity.flush();
    expect(resets).toEqual([{ ids: ['f1', 'f2'], at: DAY + 5 }]);
    set(DAY + 6);
    inactivity.downloaded(file(), 1000);
    await inactivity.flush();
    expect(resets).toHaveLength(1);
    // A day later it may reset again.
    set(2 * DAY + 5);
    inactivity.downloaded(file(), 1000);
    await inactivity.flush();
    expect(resets[1]).toEqual({ ids: ['f1'], at: 2 * DAY + 5 });
  });

  it('does not reset a file whose timer moved less than a day ago', async () => {
    const { inactivity, resets, set } = setup();
    set(DAY);
    inactivity.downloaded(file({ lastDownloadAt: 1 }), 1000);
    await inactivity.flush();
    expect(resets).toEqual([]);
  });

  it('forgets a mark whose write failed, so the next download tries again', async () => {
    const { inactivity, set } = setup(60, true);
    set(DAY + 5);
    inactivity.downloaded(file(), 1000);
    await inactivity.flush();
    expect(inactivity.deleteAfter(file())).toBe(60 * DAY);
  });

  it('says when a file goes: the earlier of its expiry and the inactivity deadline', async () => {
    const { inactivity } = setup();
    await inactivity.loadExempt();
    expect(inactivity.deleteAfter(file({ lastDownloadAt: 5 }))).toBe(5 + 60 * DAY);
    expect(inactivity.deleteAfter(file({ expiresAt: 1000 }))).toBe(1000);
    expect(inactivity.deleteAfter(file({ expiresAt: 90 * DAY }))).toBe(60 * DAY);
    expect(inactivity.deleteAfter(file({ ownerId: 'exempt-user' }))).toBeNull();
    expect(inactivity.deleteAfter(file({ ownerId: 'exempt-user', expiresAt: 7 }))).toBe(7);
    inactivity.exemptChanged('exempt-user', false);
    expect(inactivity.deleteAfter(file({ ownerId: 'exempt-user' }))).toBe(60 * DAY);
  });

  it('does nothing when disabled (0 days)', async () => {
    const { inactivity, resets, set } = setup(0);
    set(DAY * 2);
    inactivity.downloaded(file(), 1000);
    await inactivity.flush();
    expect(resets).toEqual([]);
    expect(inactivity.deleteAfter(file())).toBeNull();
    expect(await inactivity.sweep()).toBe(0);
  });
});
