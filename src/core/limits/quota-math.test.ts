import { describe, expect, it } from 'vitest';
import { admitUpload, effectiveLimit, remaining, UNLIMITED } from './quota-math.js';

describe('effectiveLimit', () => {
  it('takes the account override, -1 meaning unlimited, else the instance default', () => {
    expect(effectiveLimit(null, 1000)).toBe(1000);
    expect(effectiveLimit(undefined, 1000)).toBe(1000);
    expect(effectiveLimit(5, 1000)).toBe(5);
    expect(effectiveLimit(-1, 1000)).toBe(UNLIMITED);
    expect(effectiveLimit(0, 1000)).toBe(0);
    // An instance default of 0 is "unlimited".
    expect(effectiveLimit(null, 0)).toBe(UNLIMITED);
  });
});

describe('admitUpload', () => {
  const limits = { storage: 100, daily: 60, files: 3 };
  const usage = { bytes: 50, count: 2, lastDay: 20 };

  it('admits up to the limits, inclusive', () => {
    expect(admitUpload(limits, usage, 40)).toEqual({ ok: true });
    expect(admitUpload(limits, { ...usage, lastDay: 0 }, 50)).toEqual({ ok: true });
  });

  it('refuses past the storage, the 24-hour bytes or the file count', () => {
    expect(admitUpload(limits, { ...usage, lastDay: 0 }, 51)).toEqual({
      ok: false,
      limit: 'storage',
      max: 100,
      used: 50,
    });
    expect(admitUpload(limits, usage, 41)).toEqual({
      ok: false,
      limit: 'daily',
      max: 60,
      used: 20,
    });
    expect(admitUpload(limits, { ...usage, count: 3 }, 0)).toEqual({
      ok: false,
      limit: 'files',
      max: 3,
      used: 3,
    });
  });

  it('ignores unlimited limits, and a zero limit refuses everything', () => {
    const none = { storage: UNLIMITED, daily: UNLIMITED, files: UNLIMITED };
    expect(admitUpload(none, { bytes: 1e15, count: 1e9, lastDay: 1e15 }, 1e12).ok).toBe(true);
    expect(admitUpload({ ...none, storage: 0 }, { bytes: 0, count: 0, lastDay: 0 }, 1).ok).toBe(
      false,
    );
  });

  it('remaining never goes below zero', () => {
    expect(remaining(100, 30)).toBe(70);
    expect(remaining(100, 130)).toBe(0);
    expect(remaining(UNLIMITED, 130)).toBe(UNLIMITED);
  });
});
