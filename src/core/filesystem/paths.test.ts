import { describe, expect, it } from 'vitest';
import { FsError } from './errors.js';
import {
  ancestorsOf,
  checkLimits,
  depthOf,
  isWithin,
  parentOf,
  parseDecodedPath,
  parseRawPath,
} from './paths.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof FsError ? err.code : String(err);
  }
  return null;
};

describe('filesystem paths', () => {
  it('decodes each component on its own: %2F is never a separator (nor a name)', () => {
    expect(parseRawPath('/me/a%23b/c%20d%3F')).toEqual({ bucket: 'me', parts: ['a#b', 'c d?'] });
    expect(code(() => parseRawPath('/me/a%2Fb'))).toBe('invalid_path');
  });

  it('ignores empty components and refuses dot segments and NUL bytes', () => {
    expect(parseRawPath('//me//docs/')).toEqual({ bucket: 'me', parts: ['docs'] });
    expect(code(() => parseRawPath('/me/..'))).toBe('invalid_path');
    expect(code(() => parseRawPath('/me/%2e'))).toBe('invalid_path');
    expect(code(() => parseRawPath('/me/a%00b'))).toBe('invalid_path');
    expect(code(() => parseRawPath('/me/%zz'))).toBe('invalid_path');
    expect(code(() => parseDecodedPath('/me/x/../y'))).toBe('invalid_path');
  });

  it('has no bucket for an empty path', () => {
    expect(code(() => parseRawPath('/'))).toBe('not_found');
  });

  it('counts name and path lengths in bytes of UTF-8, and depth in levels', () => {
    expect(code(() => parseRawPath(`/me/${'é'.repeat(127)}`))).toBeNull();
    expect(code(() => parseRawPath(`/me/${'é'.repeat(128)}`))).toBe('name_too_long');
    expect(code(() => checkLimits(`/${'a'.repeat(4094)}`))).toBeNull();
    expect(code(() => checkLimits(`/${'a'.repeat(4095)}`))).toBe('path_too_long');
    expect(code(() => checkLimits('/d'.repeat(64)))).toBeNull();
    expect(code(() => checkLimits('/d'.repeat(65)))).toBe('too_many_nested_levels');
    expect(depthOf('')).toBe(0);
    expect(depthOf('/a/b')).toBe(2);
  });

  it('walks ancestors and subtrees by whole components', () => {
    expect(ancestorsOf('/a/b/c')).toEqual(['', '/a', '/a/b']);
    expect(parentOf('/a/b')).toBe('/a');
    expect(parentOf('/a')).toBe('');
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/ab', '/a')).toBe(false);
    expect(isWithin('/a', '/a')).toBe(true);
  });
});
