import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { CoreError } from './errors.js';
import { digestsEqual, hashSecret, looksLikeUuid, newId, newSecret } from './ids.js';
import type { ApiKeyRecord, UserRecord, UserRepository } from './records.js';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Who is making a request: a user, through one API key. */
export interface Principal {
  userId: string;
  username: string;
  isAdmin: boolean;
  keyHash: string;
}

export const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** last_used_at is written at most this often per key, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

export class AccountService {
  constructor(
    private readonly repo: UserRepository,
    private readonly now: () => number = Date.now,
  ) {}

  async createUser(
    username: string,
    password: string | null,
    isAdmin: boolean,
  ): Promise<UserRecord> {
    if (!USERNAME.test(username)) {
      throw new CoreError(
        'invalid_username',
        'Usernames are 1 to 64 characters of A-Z, a-z, 0-9, _ . -',
      );
    }
    if (await this.repo.findUserByName(username))
      throw new CoreError('user_exists', `User ${username} already exists`);
    const user: UserRecord = {
      id: randomUUID(),
      username,
      passwordHash: password ? await hashPassword(password) : null,
      isAdmin,
      createdAt: this.now(),
    };
    await this.repo.insertUser(user);
    return user;
  }

  async userByName(username: string): Promise<UserRecord> {
    const user = await this.repo.findUserByName(username);
    if (!user) throw new CoreError('user_not_found', `No user named ${username}`);
    return user;
  }

  /** A new API key for the user; the key is returned once and only its hash is kept. */
  async createKey(
    username: string,
    appName: string,
    creationIp: string,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const user = await this.userByName(username);
    const key = newSecret();
    const now = this.now();
    const record: ApiKeyRecord = {
      keyHash: hashSecret(key),
      keyId: newId(10),
      userId: user.id,
      appName,
      createdAt: now,
      creationIp,
      lastUsedAt: now,
    };
    await this.repo.insertKey(record);
    return { key, record };
  }

  async listKeys(username: string): Promise<ApiKeyRecord[]> {
    const user = await this.userByName(username);
    return this.repo.listKeys(user.id);
  }

  /** Revoke by the key itself or by its public key id. */
  async revokeKey(keyOrId: string): Promise<void> {
    const handle = looksLikeUuid(keyOrId) ? hashSecret(keyOrId) : keyOrId;
    if (!(await this.repo.deleteKey(handle)))
      throw new CoreError('key_not_found', 'No such API key');
  }

  /** Resolve an API key to its user. Unknown, malformed or revoked keys: authentication_failed. */
  async authenticate(key: string): Promise<Principal> {
    const failed = () =>
      new CoreError(
        'authentication_failed',
        'The provided API key is invalid, has been revoked or has expired',
      );
    if (!looksLikeUuid(key)) throw failed();
    const keyHash = hashSecret(key);
    const record = await this.repo.findKeyByHash(keyHash);
    // The lookup is by digest; compare again in constant time so no timing leaks through the index.
    if (!record || !digestsEqual(record.keyHash, keyHash)) throw failed();
    const user = await this.repo.findUserById(record.userId);
    if (!user) throw failed();
    const now = this.now();
    if (now - record.lastUsedAt > TOUCH_INTERVAL_MS) await this.repo.touchKey(keyHash, now);
    return { userId: user.id, username: user.username, isAdmin: user.isAdmin, keyHash };
  }
}

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
