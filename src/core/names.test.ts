import { describe, expect, it } from 'vitest';
import { CoreError } from './errors.js';
import { baseName, MAX_NAME_LENGTH, safeFileName, validateFileName } from './names.js';

function failure(fn: () => unknown): CoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CoreError);
    return err as CoreError;
  }
  throw new Error('expected a CoreError');
}

describe('validateFileName', () => {
  it('accepts ordinary names unchanged', () => {
    for (const n of [
      'a',
      'a.txt',
      'My File (1).tar.gz',
      '...',
      '..a',
      'a..b',
      '.hidden',
      'テスト-"&>.png',
      '🎉',
    ]) {
      expect(validateFileName(n)).toBe(n);
    }
  });

  it('normalizes to NFC', () => {
    expect(validateFileName('e\u0301.txt')).toBe('\u00e9.txt');
  });

  it('accepts exactly 255 characters, counted in code points', () => {
    expect(MAX_NAME_LENGTH).toBe(255);
    expect(validateFileName('a'.repeat(255))).toHaveLength(255);
    // 255 emoji are 510 UTF-16 units but 255 characters.
    expect([...validateFileName('😀'.repeat(255))]).toHaveLength(255);
  });

  it('refuses 256 characters with string_out_of_range details', () => {
    const e = failure(() => validateFileName('a'.repeat(256)));
    expect(e.code).toBe('name_out_of_range');
    expect(e.extra).toEqual({ field: 'name', min_len: 1, max_len: 255, len: 256 });
    const e2 = failure(() => validateFileName('😀'.repeat(256)));
    expect(e2.extra).toMatchObject({ len: 256 });
  });

  it('refuses the empty name', () => {
    const e = failure(() => validateFileName(''));
    expect(e.code).toBe('name_out_of_range');
    expect(e.extra).toEqual({ field: 'name', min_len: 1, max_len: 255, len: 0 });
  });

  it('refuses control characters and reports them', () => {
    for (const c of ['\u0000', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f']) {
      const e = failure(() => validateFileName(`a${c}b.txt`));
      expect(e.code).toBe('name_illegal_character');
      expect(e.extra).toEqual({ illegal_chars: c });
    }
  });

  it('refuses path separators', () => {
    expect(failure(() => validateFileName('a/b')).extra).toEqual({ illegal_chars: '/' });
    expect(failure(() => validateFileName('a\\b')).extra).toEqual({ illegal_chars: '\\' });
    expect(failure(() => validateFileName('../etc/passwd')).code).toBe('name_illegal_character');
  });

  it('lists each illegal character once', () => {
    const e = failure(() => validateFileName('a/b/c\\d\n'));
    expect(e.extra!.illegal_chars).toBe('/\\\n');
  });

  it('refuses the dot names', () => {
    for (const n of ['.', '..']) {
      const e = failure(() => validateFileName(n));
      expect(e.code).toBe('name_illegal_character');
      expect(e.extra).toEqual({ illegal_chars: n });
    }
  });
});

describe('baseName', () => {
  it('keeps the last path component of Unix and Windows paths', () => {
    expect(baseName('a.txt')).toBe('a.txt');
    expect(baseName('/tmp/x/a.txt')).toBe('a.txt');
    expect(baseName('C:\\Users\\me\\a b.txt')).toBe('a b.txt');
    expect(baseName('mixed/dir\\file')).toBe('file');
  });

  it('gives an empty string for a trailing separator or empty input', () => {
    expect(baseName('dir/')).toBe('');
    expect(baseName('')).toBe('');
  });
});

describe('safeFileName', () => {
  it('always gives a name validateFileName accepts', () => {
    for (const raw of [
      '../../x',
      '..',
      '.',
      '',
      '   ',
      'a/b\\c',
      'tab\there',
      '\u0000',
      'é'.repeat(400),
    ]) {
      const name = safeFileName(raw, '.zip');
      expect(validateFileName(name), raw).toBe(name);
      expect(name.endsWith('.zip'), raw).toBe(true);
      expect(name, raw).not.toMatch(/^\.|[/\\]/);
    }
  });

  it('keeps ordinary titles and uses the fallback for empty ones', () => {
    expect(safeFileName('Holiday photos – 2024', '.zip')).toBe('Holiday photos – 2024.zip');
    expect(safeFileName('..', '.zip', 'list')).toBe('list.zip');
  });
});
