import { CoreError, invalidInput, type ValidationIssue } from '../errors.js';
import { hashPassword, verifyPassword, type PasswordLimiter } from '../passwords.js';
import type { UserRecord, UserRepository } from '../records.js';
import type { ClientInfo } from '../account-types.js';
import { disabledError } from './rules.js';

/** Passwords checked against accounts, under the one password limit (when there is one). */
export class PasswordChecks {
  constructor(
    private readonly repo: Pick<UserRepository, 'findUserByName' | 'findUserByEmail'>,
    private readonly limiter: PasswordLimiter | undefined,
  ) {}

  /**
   * The user these credentials belong to (no key is created). Missing fields: invalid_input;
   * over the password limit (client or account): rate_limited, before any hashing; unknown user:
   * user_not_found; wrong password: password_incorrect.
   */
  async check(identifier: string, password: string, client: ClientInfo): Promise<UserRecord> {
    const id = identifier.trim();
    const issues: ValidationIssue[] = [];
    if (!id) issues.push({ field: 'username', problem: 'missing' });
    if (!password) issues.push({ field: 'password', problem: 'missing' });
    if (issues.length > 0) throw invalidInput(issues);
    const limiter = this.limiter;
    await limiter?.admitClient(client.ip);
    const user =
      (await this.repo.findUserByName(id)) ??
      (id.includes('@') ? await this.repo.findUserByEmail(id) : null);
    await limiter?.admitAccount(user ? user.id : `name:${id.toLowerCase()}`);
    if (!user) {
      // Same work as a real check, so response time does not tell which usernames exist.
      await hashPassword(password);
      throw new CoreError('user_not_found', 'The user could not be found');
    }
    if (!user.passwordHash) {
      throw new CoreError('no_login_method', 'This account has no password to log in with');
    }
    if (!(await verifyPassword(password, user.passwordHash))) {
      throw new CoreError('password_incorrect', 'The password is incorrect');
    }
    if (user.disabled) throw disabledError();
    return user;
  }

  /** The current password of a known account, under the password limit: else password_incorrect. */
  async prove(user: UserRecord, password: string, client: ClientInfo): Promise<void> {
    await this.limiter?.admitClient(client.ip);
    await this.limiter?.admitAccount(user.id);
    if (!user.passwordHash || !(await verifyPassword(password, user.passwordHash))) {
      throw new CoreError('password_incorrect', 'The password is incorrect');
    }
  }
}
