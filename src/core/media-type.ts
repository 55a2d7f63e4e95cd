import { fileTypeFromBuffer } from 'file-type/core';
import type { IconCategory, MediaKind } from './media-ports.js';

/**
 * Media type of stored content, decided once at upload from the first bytes (`StagedBlob.head`)
 * and the name: the content's magic bytes (file-type), then the name's extension, then UTF-8 text
 * as `text/plain; charset=utf-8`, else application/octet-stream.
 */

/**
 * The commonest signatures, checked synchronously before file-type (which costs tens of
 * microseconds per call): most images and PDFs are decided here.
 */
const FAST: Array<[number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'image/gif'],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'application/pdf'],
];

/**
 * Hand-written, not `mime`: this closed list decides the types we store and serve. mime-db answers
 * otherwise for 9 of these (xml, js, mjs, ico, m4v, aac, flac; none for tgz, zst), carries no
 * charset, and would widen detection to every extension it knows.
 */
const EXT: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  heic: 'image/heic',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  rar: 'application/vnd.rar',
  xz: 'application/x-xz',
  zst: 'application/zstd',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  epub: 'application/epub+zip',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  flac: 'audio/flac',
  wav: 'audio/wav',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

const TEXT_FAMILY = /^(text\/|application\/json)/;
/** Containers whose magic says little: a specific extension says more (a .docx is a zip). */
const GENERIC_CONTAINERS = new Set(['application/zip', 'application/x-cfb', 'application/xml']);

export async function detectMediaType(name: string, head: Buffer): Promise<string> {
  const magic = await sniff(head);
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
  const byExt = ext ? EXT[ext] : undefined;
  if (magic) {
    if (GENERIC_CONTAINERS.has(magic) && byExt && byExt !== 'application/octet-stream') {
      // An XML file named .svg is SVG; a zip named .docx is a document. Both stay consistent with
      // the content: the extension only refines a generic container type.
      if (magic !== 'application/xml' || isXmlFamily(byExt)) return byExt;
    }
    if (magic.startsWith('text/') && !magic.includes('charset') && looksLikeUtf8Text(head)) {
      return `${magic}; charset=utf-8`;
    }
    return magic;
  }
  const text = head.length > 0 && looksLikeUtf8Text(head);
  if (byExt && (!TEXT_FAMILY.test(byExt) || text)) return byExt;
  if (text) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

async function sniff(head: Buffer): Promise<string | undefined> {
  if (head.length === 0) return undefined;
  for (const [sig, type] of FAST) {
    if (head.length >= sig.length && sig.every((b, i) => head[i] === b)) return type;
  }
  try {
    return (await fileTypeFromBuffer(head))?.mime;
  } catch {
    return undefined; // a malformed head is just unknown content
  }
}

function isXmlFamily(type: string): boolean {
  const t = baseType(type);
  return t.endsWith('/xml') || t.endsWith('+xml');
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

function baseType(mimeType: string): string {
  return mimeType.split(';')[0]!.trim().toLowerCase();
}

/** Types a browser would execute or render as a document: never served inline without a sandbox. */
export function isActiveContent(mimeType: string): boolean {
  const t = baseType(mimeType);
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

/** How the media layer treats a type. SVG is active content and never decoded here. */
export function mediaKindOf(mimeType: string): MediaKind {
  const t = baseType(mimeType);
  if (t === 'application/pdf') return 'pdf';
  if (isActiveContent(t)) return 'other';
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/') || t === 'application/ogg') return 'audio';
  return 'other';
}

const ARCHIVES =
  /^application\/(zip|gzip|x-gzip|x-tar|x-7z-compressed|vnd\.rar|x-rar-compressed|x-xz|zstd|x-bzip2|x-lzip|java-archive|vnd\.android\.package-archive)$/;
const DOCUMENTS =
  /^application\/(msword|rtf|epub\+zip|vnd\.ms-|vnd\.openxmlformats-officedocument\.|vnd\.oasis\.opendocument\.)/;

/** The icon shown for a type when no thumbnail can be made. */
export function iconCategoryOf(mimeType: string): IconCategory {
  const t = baseType(mimeType);
  if (t === 'application/pdf') return 'pdf';
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/') || t === 'application/ogg') return 'audio';
  if (ARCHIVES.test(t)) return 'archive';
  if (DOCUMENTS.test(t)) return 'document';
  if (t.startsWith('text/') || t === 'application/json' || isActiveContent(t)) return 'text';
  return 'generic';
}
