import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A public id: 8 characters of [A-Za-z0-9] from the CSPRNG, without modulo bias. */
export function newId(length = 8): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // 248 = 4 * 62: values above are rejected so every character is equally likely.
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const ID_PATTERN = /^[A-Za-z0-9]{1,32}$/;

/** API keys (and delete keys) are UUID v4 strings; only their SHA-256 is stored. */
export function newSecret(): string {
  return randomUUID();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function looksLikeUuid(s: string): boolean {
  return UUID.test(s);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret.toLowerCase()).digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
