import { randomUUID } from 'node:crypto';
import { requireAccess } from './access.js';
import { CoreError, invalidInput, type ValidationIssue } from './errors.js';
import { digestsEqual, hashSecret, looksLikeKey, newAlnumKey, newId, newSecret } from './ids.js';
import { hashPassword, PasswordLimiter, verifyPassword } from './passwords.js';
import {
  UniqueViolation,
  type AccessLevel,
  type ApiKeyRecord,
  type UserFlags,
  type UserRecord,
  type UserRepository,
} from './records.js';
import { checkCharacters, checkEmail, checkLength } from './validate.js';

export { hashPassword, verifyPassword } from './passwords.js';
export { levelAtLeast } from './access.js';

/** Who is making a request: a user, through one API key. */
export interface Principal {
  userId: string;
  username: string;
  isAdmin: boolean;
  keyHash: string;
  /** Public handle of the key used (see ApiKeyRecord.keyId). */
  keyId: string;
  /** What the key may do (FileBin levels; pixeldrain sessions are full). */
  accessLevel: AccessLevel;
}

/** Options of a new key: its level, and the key format (UUID, or FileBin's 32 alphanumerics). */
export interface KeyOptions {
  accessLevel?: AccessLevel;
  format?: 'uuid' | 'alnum';
}

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 64;
const USERNAME_CHAR = /^[A-Za-z0-9_.-]$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const APP_NAME_MAX = 255;
/** last_used_at is written at most this often per key, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

/** Where a session is created from (kept with the key, shown in the session list). */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export interface NewSession {
  /** The API key itself: shown once, only its hash is kept. */
  key: string;
  record: ApiKeyRecord;
}

export interface UserChanges {
  username?: string;
  email?: string;
  password?: string;
}

/** Registration invites (core/limits InviteService). */
export interface InviteGate {
  consume(code: string, usedBy: string): Promise<void>;
  release(code: string): Promise<void>;
}

export interface AccountServiceOptions {
  /** open: anyone; closed: nobody (the CLI still can); invite: with an admin's invite code. */
  registration: 'open' | 'closed' | 'invite';
  /** Required for `invite` registration. */
  invites?: InviteGate;
  /** The one limit on password checks (and registrations); none: unlimited (CLI, unit tests). */
  passwordLimiter?: PasswordLimiter;
  now?: () => number;
}

/** Removes everything a user owns before the account goes (files live in FileService). */
export type OwnedDataRemover = (userId: string) => Promise<void>;

export class AccountService {
  private readonly now: () => number;
  private removeOwned: OwnedDataRemover = async () => {};

  constructor(
    private readonly repo: UserRepository,
    private readonly opts: AccountServiceOptions = { registration: 'open' },
  ) {
    this.now = opts.now ?? Date.now;
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
    const id = identifier.trim();
    const issues: ValidationIssue[] = [];
    if (!id) issues.push({ field: 'username', problem: 'missing' });
    if (!password) issues.push({ field: 'password', problem: 'missing' });
    if (issues.length > 0) throw invalidInput(issues);
    const limiter = this.opts.passwordLimiter;
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

  private async newKey(
    user: UserRecord,
    appName: string,
    client: ClientInfo,
    keyOptions: KeyOptions = {},
  ): Promise<NewSession> {
    const tooLong = checkLength('app_name', appName, 0, APP_NAME_MAX);
    if (tooLong) throw invalidInput([tooLong]);
    const key = keyOptions.format === 'alnum' ? newAlnumKey() : newSecret();
    const now = this.now();
    const record: ApiKeyRecord = {
      keyHash: hashSecret(key),
      keyId: newId(10),
      userId: user.id,
      appName,
      createdAt: now,
      creationIp: client.ip.slice(0, 64),
      lastUsedAt: now,
      userAgent: client.userAgent.slice(0, 512),
      accessLevel: keyOptions.accessLevel ?? 'full',
    };
    await this.repo.insertKey(record);
    return { key, record };
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
  async revokeKey(keyOrId: string): Promise<void> {
    const handle = looksLikeKey(keyOrId) ? hashSecret(keyOrId) : keyOrId;
    if (!(await this.repo.deleteKey(handle)))
      throw new CoreError('key_not_found', 'No such API key');
  }

  /**
   * Revoke the key in use (any level may log itself out), or another key of the caller's by its
   * id (key management: full level).
   */
  async revokeSession(principal: Principal, keyId?: string): Promise<void> {
    if (!keyId || keyId === principal.keyId) {
      await this.repo.deleteKey(principal.keyHash);
      return;
    }
    requireAccess(principal, 'manage_keys');
    const own = (await this.repo.listKeys(principal.userId)).find((k) => k.keyId === keyId);
    if (!own) throw new CoreError('key_not_found', 'No such API key');
    await this.repo.deleteKey(own.keyHash);
  }

  /**
   * Revoke one of the caller's own keys, named by the key itself or by its id; false (nothing
   * changed) when the caller has no such key.
   */
  async revokeOwnKey(principal: Principal, keyOrId: string): Promise<boolean> {
    const hash = looksLikeKey(keyOrId) ? hashSecret(keyOrId) : null;
    const own = (await this.repo.listKeys(principal.userId)).find(
      (k) => k.keyId === keyOrId || (hash !== null && digestsEqual(k.keyHash, hash)),
    );
    if (!own) return false;
    if (!digestsEqual(own.keyHash, principal.keyHash)) requireAccess(principal, 'manage_keys');
    return this.repo.deleteKey(own.keyHash);
  }

  /** Resolve an API key to its user. Unknown, malformed or revoked keys: authentication_failed. */
  async authenticate(key: string): Promise<Principal> {
    const failed = () =>
      new CoreError(
        'authentication_failed',
        'The provided API key is invalid, has been revoked or has expired',
      );
    if (!looksLikeKey(key)) throw failed();
    const keyHash = hashSecret(key);
    const record = await this.repo.findKeyByHash(keyHash);
    // The lookup is by digest; compare again in constant time so no timing leaks through the index.
    if (!record || !digestsEqual(record.keyHash, keyHash)) throw failed();
    const user = await this.repo.findUserById(record.userId);
    if (!user) throw failed();
    if (user.disabled) throw disabledError();
    const now = this.now();
    if (now - record.lastUsedAt > TOUCH_INTERVAL_MS) await this.repo.touchKey(keyHash, now);
    return {
      userId: user.id,
      username: user.username,
      isAdmin: user.isAdmin,
      keyHash,
      keyId: record.keyId,
      accessLevel: record.accessLevel,
    };
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
    if (user.passwordHash) await this.provePassword(user, proof.currentPassword!, proof.client);
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

  /** The current password of a known account, under the password limit: else password_incorrect. */
  private async provePassword(user: UserRecord, password: string, client: ClientInfo) {
    await this.opts.passwordLimiter?.admitClient(client.ip);
    await this.opts.passwordLimiter?.admitAccount(user.id);
    if (!user.passwordHash || !(await verifyPassword(password, user.passwordHash))) {
      throw new CoreError('password_incorrect', 'The password is incorrect');
    }
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

/** A disabled account (admin action): pixeldrain's 403 account_banned. */
function disabledError(): CoreError {
  return new CoreError(
    'account_disabled',
    'This account has been disabled by the administrators of this server',
  );
}

function validateUsername(field: string, username: string): ValidationIssue | null {
  return (
    checkLength(field, username, USERNAME_MIN, USERNAME_MAX) ??
    checkCharacters(field, username, USERNAME_CHAR)
  );
}

function validatePassword(field: string, password: string): ValidationIssue | null {
  return checkLength(field, password, PASSWORD_MIN, PASSWORD_MAX);
}

function uniqueError(err: unknown): unknown {
  if (err instanceof UniqueViolation) {
    return err.field === 'email'
      ? new CoreError('email_exists', 'This e-mail address is already registered')
      : new CoreError('user_exists', 'This username is already taken');
  }
  return err;
}
