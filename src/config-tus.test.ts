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

  it('the web UI: files over 64 MiB go through tus in 64 MiB PATCHes, both settable', () => {
    const d = loadConfig({}, {});
    expect(d.tusWebThreshold).toBe(64 * 1024 ** 2);
    expect(d.tusWebChunkSize).toBe(64 * 1024 ** 2);
    const c = loadConfig(
      {},
      { STOWAGE_TUS_WEB_THRESHOLD: '1MiB', STOWAGE_TUS_WEB_CHUNK_SIZE: '256KiB' },
    );
    expect(c.tusWebThreshold).toBe(1024 ** 2);
    expect(c.tusWebChunkSize).toBe(256 * 1024);
    expect(() => loadConfig({}, { STOWAGE_TUS_WEB_CHUNK_SIZE: '1000' })).toThrow(
      /STOWAGE_TUS_WEB_CHUNK_SIZE/,
    );
    expect(() => loadConfig({}, { STOWAGE_TUS_WEB_THRESHOLD: 'big' })).toThrow(
      /STOWAGE_TUS_WEB_THRESHOLD/,
    );
  });
});
