// The admin limits form's parsing of sizes and counts (web/src/lib/admin/quota.ts): what people
// type into what the admin API takes ('' = instance default, '-1' = unlimited, whole bytes).
import { describe, expect, it } from 'vitest';
import { limitText, parseCount, parseSize } from '../../web/src/lib/admin/quota.js';

describe('admin limits form values', () => {
  it('reads sizes with decimal and binary units, plain bytes, unlimited and empty', () => {
    expect(parseSize('')).toBe('');
    expect(parseSize('  default ')).toBe('');
    expect(parseSize('unlimited')).toBe('-1');
    expect(parseSize('-1')).toBe('-1');
    expect(parseSize('123')).toBe('123');
    expect(parseSize('10 GB')).toBe('10000000000');
    expect(parseSize('10gb')).toBe('10000000000');
    expect(parseSize('1.5 MB')).toBe('1500000');
    expect(parseSize('500 MiB')).toBe(String(500 * 2 ** 20));
    expect(parseSize('2 TiB')).toBe(String(2 * 2 ** 40));
    expect(parseSize('1,000 kB')).toBe('1000000');
  });

  it('refuses what is not a size', () => {
    for (const bad of ['ten', '10 GBs', '-5', '1e9', '5 xb', '99999999 PB', '1.2.3 MB']) {
      expect(parseSize(bad), bad).toBeNull();
    }
  });

  it('reads counts', () => {
    expect(parseCount('')).toBe('');
    expect(parseCount('unlimited')).toBe('-1');
    expect(parseCount('-1')).toBe('-1');
    expect(parseCount('0042')).toBe('42');
    expect(parseCount('4.5')).toBeNull();
    expect(parseCount('-3')).toBeNull();
    expect(parseCount('many')).toBeNull();
  });

  it('shows a limit the way it can be typed back', () => {
    expect(limitText(null, true)).toBe('');
    expect(limitText(-1, true)).toBe('unlimited');
    expect(limitText(10e9, true)).toBe('10 GB');
    expect(limitText(1_500_000, true)).toBe('1500 kB');
    expect(limitText(1234, true)).toBe('1234');
    expect(limitText(0, true)).toBe('0');
    expect(limitText(50, false)).toBe('50');
    for (const v of [10e9, 1_500_000, 1234, 2 ** 30]) {
      expect(parseSize(limitText(v, true))).toBe(String(v));
    }
  });
});
