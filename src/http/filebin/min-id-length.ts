import { MAX_ID_LENGTH } from '../../core/ids.js';
import { FbError } from './errors.js';
import type { PhpForm } from './form.js';
import { DEFAULT_ID_LENGTH } from './respond.js';

/**
 * `minimum-id-length`: absent means FileBin's 3–6 characters; N (digits, ≥ 2) means exactly N.
 * Above our longest id (64) it is refused like a bad value (FileBin fails there in its database).
 */
export function idLengthOf(form: PhpForm): { min: number; max: number } {
  const raw = form.scalar('minimum-id-length');
  if (raw === undefined) return DEFAULT_ID_LENGTH;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n > 1 && n <= MAX_ID_LENGTH)) throw new FbError('file/bad-minimum-id-length');
  return { min: n, max: n };
}
