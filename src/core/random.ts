import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * CSPRNG bytes for the many small random values of a request (ids, nonces, staging names).
 * Node's `randomBytes(n)` costs ~7 µs a call whatever `n` (a job object per call): filling 4 KiB
 * costs the same, so small requests are served from a pool refilled in one call. Every byte is
 * handed out once, as a copy.
 */
const POOL = Buffer.allocUnsafeSlow(4096);
let next = POOL.length;

export function randomBytesPooled(n: number): Buffer {
  if (n > 256) return randomBytes(n);
  if (next + n > POOL.length) {
    randomFillSync(POOL);
    next = 0;
  }
  const out = Buffer.from(POOL.subarray(next, next + n));
  next += n;
  return out;
}

/** `n` random bytes as lowercase hex (2n characters). */
export function randomHex(n: number): string {
  if (n > 256) return randomBytes(n).toString('hex');
  if (next + n > POOL.length) {
    randomFillSync(POOL);
    next = 0;
  }
  const out = POOL.toString('hex', next, next + n);
  next += n;
  return out;
}
