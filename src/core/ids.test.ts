import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestsEqual, hashSecret, ID_PATTERN, looksLikeUuid, newId, newSecret } from './ids.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('is 8 characters of [A-Za-z0-9] and distinct over 10000 draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = newId();
      expect(id).toMatch(/^[A-Za-z0-9]{8}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it('uses the whole alphabet', () => {
    const chars = new Set<string>();
    for (let i = 0; i < 2000; i++) for (const c of newId()) chars.add(c);
    expect(chars.size).toBe(62);
  });

  it('honours the length argument', () => {
    expect(newId(10)).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(newId(1)).toMatch(/^[A-Za-z0-9]$/);
    expect(newId(40)).toHaveLength(40);
  });

  it('matches ID_PATTERN, which refuses anything else', () => {
    expect(ID_PATTERN.test(newId())).toBe(true);
    for (const bad of ['', 'a,b', 'a-b', 'a_b', '../x', 'a'.repeat(65), 'é'])
      expect(ID_PATTERN.test(bad), bad).toBe(false);
  });
});

describe('newSecret', () => {
  it('is a lowercase UUID v4, different every time', () => {
    const a = newSecret();
    const b = newSecret();
    expect(a).toMatch(UUID_V4);
    expect(b).toMatch(UUID_V4);
    expect(a).not.toBe(b);
    expect(looksLikeUuid(a)).toBe(true);
  });
});

describe('looksLikeUuid', () => {
  it('accepts UUIDs in either case and refuses anything else', () => {
    expect(looksLikeUuid('5f45f184-64bb-4eaa-be19-4a5f0459db49')).toBe(true);
    expect(looksLikeUuid('5F45F184-64BB-4EAA-BE19-4A5F0459DB49')).toBe(true);
    for (const bad of [
      '',
      '5f45f18464bb4eaabe194a5f0459db49',
      '5f45f184-64bb-4eaa-be19-4a5f0459db4',
      'x5f45f184-64bb-4eaa-be19-4a5f0459db49',
      '5f45f184-64bb-4eaa-be19-4a5f0459db4g',
    ]) {
      expect(looksLikeUuid(bad), bad).toBe(false);
    }
  });
});

describe('hashSecret', () => {
  it('is the SHA-256 hex of the lowercased secret', () => {
    const s = 'AbCdEf01-0000-4000-8000-000000000000';
    expect(hashSecret(s)).toBe(createHash('sha256').update(s.toLowerCase()).digest('hex'));
    expect(hashSecret(s)).toBe(hashSecret(s.toLowerCase()));
    expect(hashSecret(s)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(newSecret())).not.toBe(hashSecret(newSecret()));
  });
});

describe('digestsEqual', () => {
  const a = hashSecret('one');
  const b = hashSecret('two');
  it('is true only for equal digests', () => {
    expect(digestsEqual(a, a)).toBe(true);
    expect(digestsEqual(a, a.toUpperCase())).toBe(true);
    expect(digestsEqual(a, b)).toBe(false);
  });
  it('is false for different lengths, empty or non-hex input', () => {
    expect(digestsEqual(a, a.slice(0, 62))).toBe(false);
    expect(digestsEqual('', '')).toBe(false);
    expect(digestsEqual('zz', 'zz')).toBe(false);
    expect(digestsEqual(a, '')).toBe(false);
  });
});
