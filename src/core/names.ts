import { CoreError } from './errors.js';

export const MAX_NAME_LENGTH = 255;

/**
 * Check a user-supplied file name. Names are metadata only: they never reach a filesystem path
 * (blobs are content-addressed), but they are echoed in headers and pages, so anything that could
 * smuggle structure is refused: control characters, path separators and the dot names.
 */
export function validateFileName(raw: string): string {
  const name = raw.normalize('NFC');
  const len = [...name].length;
  if (len < 1 || len > MAX_NAME_LENGTH) {
    throw new CoreError(
      'name_out_of_range',
      'A string parameter you passed was either too short or too long',
      {
        field: 'name',
        min_len: 1,
        max_len: MAX_NAME_LENGTH,
        len,
      },
    );
  }
  // eslint-disable-next-line no-control-regex
  const illegal = [...new Set(name.match(/[\u0000-\u001f\u007f/\\]/g) ?? [])];
  if (illegal.length > 0 || name === '.' || name === '..') {
    throw new CoreError(
      'name_illegal_character',
      'The file name contains characters that are not allowed',
      {
        illegal_chars: illegal.length > 0 ? illegal.join('') : name,
      },
    );
  }
  return name;
}

/** The last path component of a client-side file name (browsers and curl may send paths). */
export function baseName(raw: string): string {
  const parts = raw.split(/[/\\]/);
  return parts[parts.length - 1] ?? '';
}

/**
 * Any string (a list title, a name from elsewhere) as a name `validateFileName` accepts, for
 * downloads: path separators and control characters become `_`, leading dots and spaces go (no
 * `../`, no hidden file), too long is cut (keeping `suffix`, e.g. ".zip"), nothing left is
 * `fallback`.
 */
export function safeFileName(raw: string, suffix = '', fallback = 'download'): string {
  // eslint-disable-next-line no-control-regex
  let stem = raw.normalize('NFC').replace(/[\u0000-\u001f\u007f/\\]/g, '_');
  stem = stem.replace(/^[\s.]+/, '').trimEnd();
  if (!stem) stem = fallback;
  const room = MAX_NAME_LENGTH - [...suffix].length;
  const chars = [...stem];
  if (chars.length > room) stem = chars.slice(0, room).join('');
  return stem + suffix;
}
