import { describe, expect, it } from 'vitest';
import { MemoryState } from '../state/memory-state.js';
import { AccountService } from './accounts.js';
import { PasswordLimiter } from './passwords.js';
import type { UserRecord, UserRepository } from './records.js';

/**
 * A stored hash that cannot be checked: its scrypt cost is far beyond the memory limit, so any
 * attempt to verify a password against it throws. A refusal that is not that error proves no
 * hashing was tried.
 */
const UNCHECKABLE = `scrypt$${2 ** 30}$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

function repoWith(user: UserRecord, lookups: string[]): UserRepository {
  const found = async (name: string) => {
    lookups.push(name);
    return name === user.username ? user : null;
  };
  return {
    findUserByName: found,
    findUserByEmail: found,
    findUserById: async (id) => (id === user.id ? user : null),
  } as Partial<UserRepository> as UserRepository;
}

const client = (ip: string) => ({ ip, userAgent: '' });

describe('PasswordLimiter in AccountService.checkPassword', () => {
  const user: UserRecord = {
    id: 'u1',
    username: 'alice',
    passwordHash: UNCHECKABLE,
    isAdmin: false,
    createdAt: 0,
    email: null,
  };

  it('over the per-client limit: rate_limited before the user is even looked up', async () => {
    const lookups: string[] = [];
    const accounts = new AccountService(repoWith(user, lookups), {
      registration: 'open',
      passwordLimiter: new PasswordLimiter(new MemoryState(), {
        perClient: 1,
        perAccount: 100,
        windowMs: 60_000,
      }),
    });
    await expect(
      accounts.checkPassword('nobody', 'guess', client('10.0.0.1')),
    ).rejects.toMatchObject({ code: 'user_not_found' });
    await expect(
      accounts.checkPassword('alice', 'guess', client('10.0.0.1')),
    ).rejects.toMatchObject({ code: 'rate_limited', extra: { retryAfterMs: expect.any(Number) } });
    expect(lookups).toEqual(['nobody']);
  });

  it('over the per-account limit: rate_limited before the stored hash is used', async () => {
    const accounts = new AccountService(repoWith(user, []), {
      registration: 'open',
      passwordLimiter: new PasswordLimiter(new MemoryState(), {
        perClient: 100,
        perAccount: 0,
        windowMs: 60_000,
      }),
    });
    // Without the limit this would try the hash and fail with scrypt's memory error.
    await expect(
      accounts.checkPassword('alice', 'guess', client('10.0.0.2')),
    ).rejects.toMatchObject({ code: 'rate_limited' });
    const unlimited = new AccountService(repoWith(user, []), { registration: 'open' });
    await expect(
      unlimited.checkPassword('alice', 'guess', client('10.0.0.2')),
    ).rejects.toMatchObject({ code: 'ERR_CRYPTO_INVALID_SCRYPT_PARAMS' });
  });
});
