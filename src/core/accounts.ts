import { randomUUID } from 'node:crypto';
import { requireAccess } from './access.js';
import type {
  AccountServiceOptions,
  ClientInfo,
  KeyOptions,
  NewSession,
  OwnedDataRemover,
  Principal,
  UserChanges,
} from './account-types.js';
import { ApiKeys } from './accounts/keys.js';
import { PasswordChecks } from './accounts/password-checks.js';
import {
  PASSWORD_MAX,
  PASSWORD_MIN,
  uniqueError,
  USERNAME_MAX,
  USERNAME_MIN,
  validatePassword,
  validateUsername,
} from './accounts/rules.js';
import { CoreError, invalidInput, type ValidationIssue } from './errors.js';
import { hashPassword } from './passwords.js';
import type { ApiKeyRecord, UserFlags, UserRecord, UserRepository } from './records.js';
import { checkEmail } from './validate.js';

export { hashPassword, verifyPassword } from './passwords.js';
export { levelAtLeast } from './access.js';
export type {
  AccountServiceOptions,
  ClientInfo,
  InviteGate,
  KeyOptions,
  NewSession,
  OwnedDataRemover,
  Principal,
  UserChanges,
} from './account-types.js';
export {
  APP_NAME_MAX,
  PASSWORD_MAX,
  PASSWORD_MIN,
  USERNAME_MAX,
  USERNAME_MIN,
} from './accounts/rules.js';

/**
 * Accounts: registration and administrative creation, logins, profile changes, deletion; API
 * keys are ApiKeys' (accounts/keys.ts), password checks under the limit PasswordChecks'
 * (accounts/password-checks.ts), the field rules and refusals in accounts/rules.ts.
 */
export class AccountService {
  private readonly now: () => number;
  private removeOwned: OwnedDataRemover = async () => {};
  private readonly keys: ApiKeys;
  private readonly passwords: PasswordChecks;

  constructor(
    private readonly repo: UserRepository,
    private readonly opts: AccountServiceOptions = { registration: 'open' },
  ) {
    this.now = opts.now ?? Date.now;
    this.keys = new ApiKeys(repo, this.now);
    this.passwords = new PasswordChecks(repo, opts.passwordLimiter);
  }

  /** Called once by the wiring: how a deleted account's files are removed. */
  onDeleteUser(remover: OwnedDataRemover): void {
    this.removeOwned = remover;
  }

  get registrationOpen(): boolean {
    return this.opts.registration === 'open';
  }

  get registrationMode(): 'open' | 'closed' | 'invite' {
    return this.opts.registration;
  }

  /** Administrative creation (CLI): no registration switch, password optional. */
  async createUser(
    username: string,
    password: string | null,
    isAdmin: boolean,
  ): Promise<UserRecord> {
    const issues = [validateUsername('username', username)];
    if (password !== null) issues.push(validatePassword('password', password));
    const found = issues.filter((i): i is ValidationIssue => i !== null);
    if (found.length > 0) {
      throw new CoreError(
        'invalid_username',
        `Usernames are ${USERNAME_MIN} to ${USERNAME_MAX} characters of A-Z, a-z, 0-9, _ . -; passwords ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
        { issues: found },
      );
    }
    return this.insertUser(username, null, password, isAdmin);
  }

  /** Self-service sign-up through the API. All field problems are reported at once. */
  async register(
    input: { username?: string; email?: string; password?: string; invite?: string },
    client: ClientInfo,
  ): Promise<UserRecord> {
    const mode = this.opts.registration;
    if (mode === 'closed' || (mode === 'invite' && !this.opts.invites)) {
      throw new CoreError('registration_closed', 'Registration is closed on this server');
    }
    await this.opts.passwordLimiter?.admitRegistration(client.ip);
    const username = input.username?.trim() ?? '';
    const email = input.email?.trim() ?? '';
    const password = input.password ?? '';
    const issues = [
      validateUsername('username', username),
      email ? checkEmail('email', email) : null,
      validatePassword('password', password),
    ].filter((i): i is ValidationIssue => i !== null);
    if (issues.length > 0) throw invalidInput(issues);
    if (mode !== 'invite') return this.insertUser(username, email || null, password, false);
    // One code, one account: taken first (atomically), given back if the account is not made.
    const code = input.invite?.trim() ?? '';
    await this.opts.invites!.consume(code, username);
    try {
      return await this.insertUser(username, email || null, password, false);
    } catch (err) {
      await this.opts.invites!.release(code).catch(() => {});
      throw err;
    }
  }

  private async insertUser(
    username: string,
    email: string | null,
    password: string | null,
    isAdmin: boolean,
  ): Promise<UserRecord> {
    if (await this.repo.findUserByName(username))
      throw new CoreError('user_exists', `User ${username} already exists`);
    const user: UserRecord = {
      id: randomUUID(),
      username,
      passwordHash: password ? await hashPassword(password) : null,
      isAdmin,
      createdAt: this.now(),
      email,
    };
    try {
      await this.repo.insertUser(user);
    } catch (err) {
      throw uniqueError(err);
    }
    return user;
  }

  async userByName(username: string): Promise<UserRecord> {
    const user = await this.repo.findUserByName(username);
    if (!user) throw new CoreError('user_not_found', `No user named ${username}`);
    return user;
  }

  async userById(id: string): Promise<UserRecord> {
    const user = await this.repo.findUserById(id);
    if (!user) throw new CoreError('user_not_found', 'The user could not be found');
    return user;
  }

  /** Log in with username (or e-mail) and password: a new session key. */
  async login(
    identifier: string,
    password: string,
    appName: string,
    client: ClientInfo,
    keyOptions: KeyOptions = {},
  ): Promise<NewSession> {
    const user = await this.checkPassword(identifier, password, client);
    return this.newKey(user, appName || 'website login', client, keyOptions);
  }

  /**
   * The user these credentials belong to (no key is created). Missing fields: invalid_input;
   * over the password limit (client or account): rate_limited, before any hashing; unknown user:
   * user_not_found; wrong password: password_incorrect.
   */
  async checkPassword(
    identifier: string,
    password: string,
    client: ClientInfo,
  ): Promise<UserRecord> {
    return this.passwords.check(identifier, password, client);
  }

  /**
   * A new key for the caller, of any level and format (FileBin's create_apikey): key management,
   * so a full-level caller only.
   */
  async createKeyFor(
    principal: Principal,
    appName: string,
    client: ClientInfo,
    keyOptions: KeyOptions = {},
  ): Promise<NewSession> {
    requireAccess(principal, 'manage_keys');
    const user = await this.userById(principal.userId);
    return this.newKey(user, appName, client, keyOptions);
  }

  /**
   * The caller as a password login: full level, no key (FileBin's create_apikey with username
   * and password). Limited and refused as `checkPassword`.
   */
  async passwordPrincipal(
    identifier: string,
    password: string,
    client: ClientInfo,
  ): Promise<Principal> {
    const user = await this.checkPassword(identifier, password, client);
    return {
      userId: user.id,
      username: user.username,
      isAdmin: user.isAdmin,
      keyHash: '',
      keyId: '',
      accessLevel: 'full',
    };
  }

  /** A new API key for the user; the key is returned once and only its hash is kept. */
  async createKey(username: string, appName: string, creationIp: string): Promise<NewSession> {
    const user = await this.userByName(username);
    return this.newKey(user, appName, { ip: creationIp, userAgent: '' });
  }

  /**
   * Another key for the caller (`POST /user/session`, the ShareX file): full level unless asked
   * lower. Key management: a full-level caller only.
   */
  async createSession(
    principal: Principal,
    appName: string,
    client: ClientInfo,
    keyOptions: Pick<KeyOptions, 'accessLevel'> = {},
  ): Promise<NewSession> {
    requireAccess(principal, 'manage_keys');
    const user = await this.userById(principal.userId);
    return this.newKey(user, appName, client, keyOptions);
  }

  private newKey(
    user: UserRecord,
    appName: string,
    client: ClientInfo,
    keyOptions: KeyOptions = {},
  ): Promise<NewSession> {
    return this.keys.create(user, appName, client, keyOptions);
  }

  async listKeys(username: string): Promise<ApiKeyRecord[]> {
    const user = await this.userByName(username);
    return this.repo.listKeys(user.id);
  }

  /** The caller's keys (key management: a full-level caller only). */
  async listSessions(principal: Principal): Promise<ApiKeyRecord[]> {
    requireAccess(principal, 'manage_keys');
    return this.repo.listKeys(principal.userId);
  }

  /** Revoke by the key itself or by its public key id (administration: any user's key). */
  revokeKey(keyOrId: string): Promise<void> {
    return this.keys.revoke(keyOrId);
  }

  /**
   * Revoke the key in use (any level may log itself out), or another key of the caller's by its
   * id (key management: full level).
   */
  revokeSession(principal: Principal, keyId?: string): Promise<void> {
    return this.keys.revokeSession(principal, keyId);
  }

  /**
   * Revoke one of the caller's own keys, named by the key itself or by its id; false (nothing
   * changed) when the caller has no such key.
   */
  revokeOwnKey(principal: Principal, keyOrId: string): Promise<boolean> {
    return this.keys.revokeOwn(principal, keyOrId);
  }

  /** Resolve an API key to its user. Unknown, malformed or revoked keys: authentication_failed. */
  authenticate(key: string): Promise<Principal> {
    return this.keys.authenticate(key);
  }

  /**
   * Change username, e-mail or password (an empty e-mail removes it): a full-level caller who
   * also proves the current password (`currentPassword`; missing: invalid_input on
   * `old_password`, wrong: password_incorrect, both after the password limit). An account without
   * a password (made by the CLI) has none to prove. `passwordField` names the new password's
   * field in validation errors.
   */
  async updateUser(
    principal: Principal,
    changes: UserChanges,
    proof: { currentPassword?: string; client: ClientInfo; passwordField?: string },
  ): Promise<UserRecord> {
    requireAccess(principal, 'manage_account');
    const issues: (ValidationIssue | null)[] = [];
    const set: { username?: string; email?: string | null; passwordHash?: string } = {};
    if (changes.username !== undefined) {
      const username = changes.username.trim();
      issues.push(validateUsername('username', username));
      set.username = username;
    }
    if (changes.email !== undefined) {
      const email = changes.email.trim();
      if (email) issues.push(checkEmail('email', email));
      set.email = email || null;
    }
    if (changes.password !== undefined)
      issues.push(validatePassword(proof.passwordField ?? 'password_new', changes.password));
    const user = await this.userById(principal.userId);
    const changing = Object.keys(set).length > 0 || changes.password !== undefined;
    if (changing && user.passwordHash && !proof.currentPassword)
      issues.push({ field: 'old_password', problem: 'missing' });
    const found = issues.filter((i): i is ValidationIssue => i !== null);
    if (found.length > 0) throw invalidInput(found);
    if (!changing) return user;
    if (user.passwordHash) await this.passwords.prove(user, proof.currentPassword!, proof.client);
    if (changes.password !== undefined) set.passwordHash = await hashPassword(changes.password);
    try {
      await this.repo.updateUser(principal.userId, set);
    } catch (err) {
      throw uniqueError(err);
    }
    return this.userById(principal.userId);
  }

  /**
   * The caller allows (or stops) hotlinking of their own files: the hotlink rule leaves them alone
   * (pixeldrain's `hotlinking_enabled`). A full-level key; no password needed for a preference.
   */
  async setHotlinking(principal: Principal, enabled: boolean): Promise<void> {
    requireAccess(principal, 'manage_account');
    if (!(await this.repo.setUserFlags(principal.userId, { hotlinkingEnabled: enabled })))
      throw new CoreError('user_not_found', 'The user could not be found');
  }

  /** Operator (CLI): exempt a user's downloads from the hotlink rule, or stop doing so. */
  async setHotlinkExempt(username: string, exempt: boolean): Promise<UserRecord> {
    const user = await this.userByName(username);
    await this.repo.setUserFlags(user.id, { hotlinkExempt: exempt });
    return { ...user, hotlinkExempt: exempt };
  }

  /** Administration: set account flags (disabled, admin, hotlink exempt...); user_not_found. */
  async setFlags(userId: string, flags: Partial<UserFlags>): Promise<UserRecord> {
    if (!(await this.repo.setUserFlags(userId, flags)))
      throw new CoreError('user_not_found', 'The user could not be found');
    return this.userById(userId);
  }

  /** Administration (CLI `user passwd`): set an account's password, no proof needed. */
  async setPassword(userId: string, password: string): Promise<void> {
    const bad = validatePassword('password', password);
    if (bad) throw invalidInput([bad]);
    await this.userById(userId);
    await this.repo.updateUser(userId, { passwordHash: await hashPassword(password) });
  }

  /** Administration: delete any account, its files first (their blobs are released). */
  async deleteAccount(userId: string): Promise<void> {
    await this.userById(userId);
    await this.removeOwned(userId);
    await this.repo.deleteUser(userId);
  }

  /** Delete the caller's account: files first (their blobs are released), then keys and lists. */
  async deleteUser(principal: Principal): Promise<void> {
    requireAccess(principal, 'manage_account');
    await this.removeOwned(principal.userId);
    await this.repo.deleteUser(principal.userId);
  }
}
