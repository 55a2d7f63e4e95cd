import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { CoreError } from './errors.js';
import type { SharedState } from './shared-state.js';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const dk = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${dk.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, dk] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !dk) return false;
  const want = Buffer.from(dk, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(got, want);
}

export interface PasswordLimitOptions {
  /** Password checks (and, counted apart, registrations) per client address and window. */
  perClient: number;
  /** Password checks against one account per window, from all addresses together. */
  perAccount: number;
  windowMs: number;
}

/** How many times the per-client limit one account may be tried in a window, from everywhere. */
export const ACCOUNT_LIMIT_FACTOR = 5;

/**
 * The one limit on password guessing: every path that checks a password (a login on any API, a
 * FileBin key made with a password, a password change) counts here first, before any hashing,
 * per client address and per account, in the shared state (so the limit holds across nodes).
 * Over it: `rate_limited` with `extra.retryAfterMs`. Every check counts, right or wrong, as the
 * routes' limits did before.
 */
export class PasswordLimiter {
  constructor(
    private readonly state: SharedState,
    private readonly opts: PasswordLimitOptions,
  ) {}

  /** One password check from `ip`: refused when the client is over its limit. */
  async admitClient(ip: string): Promise<void> {
    await this.count(`pw:ip:${ip}`, this.opts.perClient);
  }

  /** One password check against an account (its id, or the name tried when there is none). */
  async admitAccount(account: string): Promise<void> {
    await this.count(`pw:acct:${account}`, this.opts.perAccount);
  }

  /** One registration from `ip` (it hashes a password too), on a budget of its own. */
  async admitRegistration(ip: string): Promise<void> {
    await this.count(`pw:reg:${ip}`, this.opts.perClient);
  }

  private async count(key: string, max: number): Promise<void> {
    const { count, resetMs } = await this.state.increment(key, this.opts.windowMs);
    if (count > max) {
      throw new CoreError(
        'rate_limited',
        `Too many attempts, try again in ${Math.ceil(resetMs / 1000)} seconds`,
        { retryAfterMs: resetMs },
      );
    }
  }
}
