import { describe, expect, it } from 'vitest';
import { parseRange } from './send-file.js';

describe('parseRange', () => {
  it('no header or an empty header means the full body', () => {
    expect(parseRange(undefined, 12)).toEqual({ kind: 'full' });
    expect(parseRange('', 12)).toEqual({ kind: 'full' });
  });

  it('a closed range', () => {
    expect(parseRange('bytes=0-3', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 3 } });
    expect(parseRange('bytes=4-4', 12)).toEqual({ kind: 'partial', range: { start: 4, end: 4 } });
    expect(parseRange('bytes=0-11', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
  });

  it('an open range runs to the last byte', () => {
    expect(parseRange('bytes=5-', 12)).toEqual({ kind: 'partial', range: { start: 5, end: 11 } });
    expect(parseRange('bytes=11-', 12)).toEqual({ kind: 'partial', range: { start: 11, end: 11 } });
    expect(parseRange('bytes=0-', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
  });

  it('a suffix range is the last N bytes, clamped to the whole body', () => {
    expect(parseRange('bytes=-4', 12)).toEqual({ kind: 'partial', range: { start: 8, end: 11 } });
    expect(parseRange('bytes=-12', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
    expect(parseRange('bytes=-100', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
  });

  it('an end beyond the size is clamped', () => {
    expect(parseRange('bytes=2-100', 12)).toEqual({
      kind: 'partial',
      range: { start: 2, end: 11 },
    });
    expect(parseRange('bytes=0-99999999999999999999', 12)).toEqual({
      kind: 'partial',
      range: { start: 0, end: 11 },
    });
  });

  it('a start at or past the end is unsatisfiable', () => {
    expect(parseRange('bytes=12-', 12)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=100-', 12)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=12-20', 12)).toEqual({ kind: 'unsatisfiable' });
  });

  it('a zero-length suffix is unsatisfiable', () => {
    expect(parseRange('bytes=-0', 12)).toEqual({ kind: 'unsatisfiable' });
  });

  it('any range of an empty body is unsatisfiable', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('a huge start never yields a partial response', () => {
    expect(parseRange('bytes=99999999999999999999-', 12).kind).not.toBe('partial');
    const huge = parseRange('bytes=-99999999999999999999', 12);
    // The whole body either way: as a full response or as a range covering everything.
    if (huge.kind === 'partial') expect(huge.range).toEqual({ start: 0, end: 11 });
    else expect(huge.kind).toBe('full');
  });

  it('last < first is invalid and ignored', () => {
    expect(parseRange('bytes=5-3', 12)).toEqual({ kind: 'full' });
  });

  it('multiple ranges are answered with the full body', () => {
    expect(parseRange('bytes=0-1,3-4', 12)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-1, 5-', 12)).toEqual({ kind: 'full' });
  });

  it('malformed headers and other units are ignored', () => {
    for (const h of [
      'bytes=',
      'bytes=-',
      'bytes',
      'bytes=a-b',
      'bytes=1.5-3',
      'bytes=--1',
      'items=0-3',
      '0-3',
      'bytes=0x10-',
    ]) {
      expect(parseRange(h, 12), h).toEqual({ kind: 'full' });
    }
  });

  it('the unit is case-insensitive and whitespace around tokens is tolerated', () => {
    expect(parseRange('Bytes=0-3', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 3 } });
    expect(parseRange(' bytes = 1 - 2 ', 12)).toEqual({
      kind: 'partial',
      range: { start: 1, end: 2 },
    });
  });

  it('works for sizes beyond 32 bits', () => {
    const size = 10 * 1024 ** 3;
    expect(parseRange('bytes=-1', size)).toEqual({
      kind: 'partial',
      range: { start: size - 1, end: size - 1 },
    });
    expect(parseRange(`bytes=${2 ** 33}-`, size)).toEqual({
      kind: 'partial',
      range: { start: 2 ** 33, end: size - 1 },
    });
  });
});
