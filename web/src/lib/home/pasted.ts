// Names for files pasted from the clipboard. Browsers give a pasted screenshot a generic name
// ("image.png"), so every paste would upload a file of the same name: such files are named after
// the moment of the paste instead (pasted-2026-12-03-231500.png). Files copied in a file manager
// keep their own names.

/** The name browsers give a clipboard image that had none (Chromium, Firefox: image.png). */
const GENERIC_IMAGE = /^image\.[a-z0-9]+$/i;

const isGeneric = (f: { name: string; type: string }) =>
  f.name === '' || (f.type.startsWith('image/') && GENERIC_IMAGE.test(f.name));

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/bmp': 'bmp',
  'image/svg+xml': 'svg',
  'image/tiff': 'tiff',
  'text/plain': 'txt',
  'text/html': 'html',
  'application/pdf': 'pdf',
};

const two = (n: number) => String(n).padStart(2, '0');

/** `pasted-YYYY-MM-DD-HHMMSS` in local time. */
export function pastedStem(at: Date): string {
  const date = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  const time = `${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`;
  return `pasted-${date}-${time}`;
}

function extensionOf(file: { name: string; type: string }): string {
  const fromName = /\.([a-z0-9]{1,8})$/i.exec(file.name)?.[1]?.toLowerCase();
  return fromName ?? EXTENSIONS[file.type.split(';')[0]!.trim().toLowerCase()] ?? 'bin';
}

/**
 * The names to upload pasted files under, in order: generic names replaced by the time of the
 * paste (numbered from the second on: -2, -3), other names kept.
 */
export function pastedNames(
  files: ReadonlyArray<{ name: string; type: string }>,
  at: Date,
): string[] {
  const stem = pastedStem(at);
  let n = 0;
  return files.map((f) => {
    if (!isGeneric(f)) return f.name;
    n++;
    return `${stem}${n > 1 ? `-${n}` : ''}.${extensionOf(f)}`;
  });
}

/** The pasted files under those names (a File is only re-wrapped, its bytes are not copied). */
export function renamePasted(files: File[], at = new Date()): File[] {
  const names = pastedNames(files, at);
  return files.map((f, i) =>
    names[i] === f.name
      ? f
      : new File([f], names[i]!, { type: f.type, lastModified: f.lastModified }),
  );
}
