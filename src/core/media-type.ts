/**
 * Media type of stored content, decided once at upload from the first bytes and the name.
 * (The media issue replaces the magic table with a maintained detector; the contract stays.)
 */
const MAGIC: Array<[number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'image/gif'],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'application/pdf'],
  [[0x50, 0x4b, 0x03, 0x04], 'application/zip'],
  [[0x1f, 0x8b], 'application/gzip'],
  [[0x1a, 0x45, 0xdf, 0xa3], 'video/webm'],
  [[0x49, 0x44, 0x33], 'audio/mpeg'],
  [[0x4f, 0x67, 0x67, 0x53], 'audio/ogg'],
  [[0x66, 0x4c, 0x61, 0x43], 'audio/flac'],
];

const EXT: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  wav: 'audio/wav',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

const TEXT_FAMILY = /^(text\/|application\/json)/;

export function detectMediaType(name: string, head: Buffer): string {
  for (const [sig, type] of MAGIC) {
    if (head.length >= sig.length && sig.every((b, i) => head[i] === b)) return type;
  }
  if (head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp') return 'video/mp4';
  if (
    head.length >= 12 &&
    head.toString('latin1', 0, 4) === 'RIFF' &&
    head.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'image/webp';
  }
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
  const byExt = ext ? EXT[ext] : undefined;
  const text = head.length > 0 && looksLikeUtf8Text(head);
  if (byExt && (!TEXT_FAMILY.test(byExt) || text)) return byExt;
  if (text) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function looksLikeUtf8Text(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  // A multi-byte character may be cut at the end of the sample: drop up to 3 trailing bytes.
  for (let cut = 0; cut <= 3 && cut < buf.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, buf.length - cut));
      return true;
    } catch {
      /* try a shorter sample */
    }
  }
  return false;
}

/** Types a browser would execute or render as a document: never served inline without a sandbox. */
export function isActiveContent(mimeType: string): boolean {
  const t = mimeType.split(';')[0]!.trim().toLowerCase();
  return (
    t === 'text/html' ||
    t === 'application/xhtml+xml' ||
    t === 'image/svg+xml' ||
    t.endsWith('/xml') ||
    t.endsWith('+xml') ||
    t.includes('javascript') ||
    t === 'application/ecmascript' ||
    t === 'text/xsl'
  );
}
