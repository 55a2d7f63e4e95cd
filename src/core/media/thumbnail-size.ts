import { CoreError } from '../errors.js';

export const THUMBNAIL_DEFAULT = 256;
export const THUMBNAIL_MIN = 16;
export const THUMBNAIL_MAX = 256;
export const THUMBNAIL_STEP = 16;

/**
 * Validate a requested thumbnail box: absent means 256; otherwise a multiple of 16 from 16 to
 * 256. Anything else is invalid_thumbnail_size.
 */
export function thumbnailSize(
  width?: string | number,
  height?: string | number,
): { w: number; h: number } {
  return { w: oneSide(width), h: oneSide(height) };
}

function oneSide(v: string | number | undefined): number {
  if (v === undefined || v === '') return THUMBNAIL_DEFAULT;
  const n = typeof v === 'number' ? v : /^\d{1,4}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < THUMBNAIL_MIN || n > THUMBNAIL_MAX || n % THUMBNAIL_STEP !== 0) {
    throw new CoreError(
      'invalid_thumbnail_size',
      `Thumbnail width and height must be multiples of ${THUMBNAIL_STEP} from ${THUMBNAIL_MIN} to ${THUMBNAIL_MAX}`,
      { min: THUMBNAIL_MIN, max: THUMBNAIL_MAX, step: THUMBNAIL_STEP },
    );
  }
  return n;
}
