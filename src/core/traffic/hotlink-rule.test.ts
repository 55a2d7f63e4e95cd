import { describe, expect, it } from 'vitest';
import { isHotlinked } from './hotlink-rule.js';

describe('the hotlink rule', () => {
  const opts = { factor: 3, minDownloads: 10 };

  it('trips when downloads exceed factor × views and reach the minimum', () => {
    expect(isHotlinked({ views: 3, downloads: 10 }, opts)).toBe(true);
    expect(isHotlinked({ views: 0, downloads: 10 }, opts)).toBe(true);
  });

  it('not at exactly factor × views (more than, as pixeldrain says)', () => {
    expect(isHotlinked({ views: 4, downloads: 12 }, opts)).toBe(false);
    expect(isHotlinked({ views: 4, downloads: 13 }, opts)).toBe(true);
  });

  it('not below the minimum number of downloads, however few the views', () => {
    expect(isHotlinked({ views: 0, downloads: 9 }, opts)).toBe(false);
  });

  it('views lift it', () => {
    expect(isHotlinked({ views: 10, downloads: 30 }, opts)).toBe(false);
  });

  it('factor 0 turns the rule off', () => {
    expect(isHotlinked({ views: 0, downloads: 1_000_000 }, { factor: 0, minDownloads: 0 })).toBe(
      false,
    );
  });
});
