import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors.js';
import { thumbnailSize } from './thumbnail-size.js';

describe('thumbnailSize', () => {
  it('defaults an absent or empty side to 256', () => {
    expect(thumbnailSize()).toEqual({ w: 256, h: 256 });
    expect(thumbnailSize('', 32)).toEqual({ w: 256, h: 32 });
  });

  it('accepts multiples of 16 from 16 to 256, as numbers or digits', () => {
    expect(thumbnailSize('16', 256)).toEqual({ w: 16, h: 256 });
    expect(thumbnailSize(128, '48')).toEqual({ w: 128, h: 48 });
  });

  it.each([0, 8, 17, 272, '1e2', ' 32', '32px', '-16', 16.5, '00000'])(
    'refuses %j with invalid_thumbnail_size',
    (v) => {
      let err: unknown;
      try {
        thumbnailSize(v);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CoreError);
      expect(err).toMatchObject({ code: 'invalid_thumbnail_size' });
    },
  );
});
