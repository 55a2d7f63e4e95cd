import { requireAccess } from '../access.js';
import { CoreError, invalidInput } from '../errors.js';
import { digestsEqual, hashSecret, looksLikeKey, newAlnumKey, newId, newSecret } from '../ids.js';
import type { ApiKeyRecord, UserRecord, UserRepository } from '../records.js';
import { checkLength } from '../validate.js';
import type { ClientInfo, KeyOptions, NewSession, Principal } from '../account-types.js';
import { APP_NAME_MAX, disabledError } from './rules.js';

/** last_used_at is written at most this often per key, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * API keys: made (shown once, only the hash kept), listed, revoked, and resolved to the caller
 * on every request.
 */
export class ApiKeys {
  constructor(
    private readonly repo: UserRepository,
    private readonly now: () => number,
  ) {}

  /** A new key for the user; the key is returned once and only its hash is kept. */
  async create(
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

  /** Revoke by the key itself or by its public key id (administration: any user's key). */
  async revoke(keyOrId: string): Promise<void> {
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
  async revokeOwn(principal: Principal, keyOrId: string): Promise<boolean> {
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
}
