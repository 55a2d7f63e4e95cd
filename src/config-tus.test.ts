import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('tus settings', () => {
  it('defaults: unfinished uploads kept 24 hours, 10 at once', () => {
    const c = loadConfig({}, {});
    expect(c.tusExpiryMs).toBe(86_400_000);
    expect(c.tusMaxPending).toBe(10);
  });

  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2H', 7_200_000],
    ['7d', 604_800_000],
    ['3600', 3_600_000],
  ])('STOWAGE_TUS_EXPIRY=%s is %d ms', (raw, ms) => {
    expect(loadConfig({}, { STOWAGE_TUS_EXPIRY: raw }).tusExpiryMs).toBe(ms);
  });

  it.each(['soon', '-1h', '10s', '400d', '1.5h'])('refuses STOWAGE_TUS_EXPIRY=%s', (raw) => {
    expect(() => loadConfig({}, { STOWAGE_TUS_EXPIRY: raw })).toThrow(/STOWAGE_TUS_EXPIRY/);
  });

  it('STOWAGE_TUS_MAX_PENDING is a positive count', () => {
    expect(loadConfig({}, { STOWAGE_TUS_MAX_PENDING: '3' }).tusMaxPending).toBe(3);
    expect(() => loadConfig({}, { STOWAGE_TUS_MAX_PENDING: '0' })).toThrow(
      /STOWAGE_TUS_MAX_PENDING/,
    );
  });
});
