import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors.js';
import { UniqueViolation } from '../records.js';
import { uniqueError, validatePassword, validateUsername } from './rules.js';

describe('account rules', () => {
  it('usernames: 3 to 64 of A-Z a-z 0-9 _ . -', () => {
    expect(validateUsername('username', 'a.b_c-9')).toBeNull();
    expect(validateUsername('username', 'ab')).toMatchObject({ field: 'username' });
    expect(validateUsername('username', 'x'.repeat(65))).toMatchObject({ field: 'username' });
    expect(validateUsername('u', 'with space')).toMatchObject({ field: 'u' });
  });

  it('passwords: 8 to 256 characters', () => {
    expect(validatePassword('password', '12345678')).toBeNull();
    expect(validatePassword('password', '1234567')).toMatchObject({ field: 'password' });
    expect(validatePassword('p', 'x'.repeat(257))).toMatchObject({ field: 'p' });
  });

  it('a unique violation becomes user_exists or email_exists; other errors pass through', () => {
    expect(uniqueError(new UniqueViolation('username'))).toMatchObject({ code: 'user_exists' });
    expect(uniqueError(new UniqueViolation('email'))).toMatchObject({ code: 'email_exists' });
    const other = new Error('boom');
    expect(uniqueError(other)).toBe(other);
    expect(uniqueError(new UniqueViolation('email'))).toBeInstanceOf(CoreError);
  });
});
