import { describe, expect, it } from 'vitest';
import { escapeLike, guessSearchBy } from './admin-search.js';

describe('admin search', () => {
  it('guesses what a search text is', () => {
    expect(guessSearchBy('aB3dE6gH')).toBe('id');
    expect(guessSearchBy('A'.repeat(64))).toBe('sha256');
    expect(guessSearchBy('203.0.113.9')).toBe('ip');
    expect(guessSearchBy('2001:db8::1')).toBe('ip');
    expect(guessSearchBy('holiday.jpg')).toBe('name');
    expect(guessSearchBy('abcdefg')).toBe('name');
  });

  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('100%_done\\')).toBe('100\\%\\_done\\\\');
    expect(escapeLike('plain')).toBe('plain');
  });
});
