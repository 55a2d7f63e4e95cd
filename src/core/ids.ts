import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { randomBytesPooled } from './random.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A public id: 8 characters of [A-Za-z0-9] from the CSPRNG, without modulo bias. */
export function newId(length = 8): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytesPooled(length * 2)) {
      // 248 = 4 * 62: values above are rejected so every character is equally likely.
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Any file or list id: pixeldrain's are 8 characters, FileBin-style ones 2 to 64. */
export const ID_PATTERN = /^[A-Za-z0-9]{1,64}$/;

/** The longest FileBin-style id (`minimum-id-length` above this is refused). */
export const MAX_ID_LENGTH = 64;

/**
 * Top-level path segments of our own pages and APIs: FileBin-style ids live at the URL root
 * (`/{id}`), so none may equal one of these (FileBin refuses its own route names the same way).
 */
export const RESERVED_IDS: ReadonlySet<string> = new Set([
  'api',
  'file',
  'user',
  'misc',
  'static',
  'docs',
  'data',
  'system',
  'application',
  'assets',
  'health',
  'login',
  'logout',
  'register',
  'admin',
  'index',
  // Chevereto's viewer, companion images and delete links; its files (`/i/{id}.{ext}`).
  'image',
  'i',
  // The web UI's pages and assets.
  'u',
  'l',
  'res',
  'about',
  'account',
]);

/**
 * A FileBin-style id: length uniform in [min, max] (exactly min when max is omitted), characters
 * uniform over [A-Za-z0-9], never a reserved word.
 */
export function newVariableId(min: number, max = min): string {
  for (;;) {
    const length = min + (max > min ? randomInt(max - min + 1) : 0);
    const id = newId(length);
    if (!RESERVED_IDS.has(id.toLowerCase())) return id;
  }
}

/** A FileBin-format API key: 32 characters of [A-Za-z0-9] (about 190 bits). */
export function newAlnumKey(): string {
  return newId(32);
}

const ALNUM_KEY = /^[A-Za-z0-9]{32}$/;

/** Whether a string has the shape of one of our API keys (a UUID, or a FileBin-format key). */
export function looksLikeKey(s: string): boolean {
  return looksLikeUuid(s) || ALNUM_KEY.test(s);
}

/** API keys (and delete keys) are UUID v4 strings; only their SHA-256 is stored. */
export function newSecret(): string {
  return randomUUID();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function looksLikeUuid(s: string): boolean {
  return UUID.test(s);
}

/**
 * The stored form of a secret. UUIDs are case-insensitive (lowercased first); FileBin-format keys
 * are case-sensitive, as FileBin's are.
 */
export function hashSecret(secret: string): string {
  const canonical = looksLikeUuid(secret) ? secret.toLowerCase() : secret;
  return createHash('sha256').update(canonical).digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
