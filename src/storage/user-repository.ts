import {
  ACCESS_LEVELS,
  UniqueViolation,
  type AccessLevel,
  type ApiKeyRecord,
  type UserFlags,
  type UserLimits,
  type UserRecord,
  type UserRepository,
} from '../core/records.js';
import type { Db } from './db.js';
import { isUniqueViolation, violationText } from './db-errors.js';
import { num } from './schema.js';

type KeyRow = {
  key_hash: string;
  key_id: string;
  user_id: string;
  app_name: string;
  created_at: number | string;
  creation_ip: string;
  last_used_at: number | string;
  user_agent: string;
  access_level: string;
};

/** An unknown stored level (a corrupt row) counts as the lowest. */
function accessLevelOf(v: string): AccessLevel {
  return (ACCESS_LEVELS as readonly string[]).includes(v) ? (v as AccessLevel) : 'basic';
}

function keyRecord(r: KeyRow): ApiKeyRecord {
  return {
    keyHash: r.key_hash,
    keyId: r.key_id,
    userId: r.user_id,
    appName: r.app_name,
    createdAt: num(r.created_at),
    creationIp: r.creation_ip,
    lastUsedAt: num(r.last_used_at),
    userAgent: r.user_agent,
    accessLevel: accessLevelOf(r.access_level),
  };
}

type UserRow = {
  id: string;
  username: string;
  password_hash: string | null;
  is_admin: number | string;
  created_at: number | string;
  email: string | null;
  hotlinking_enabled?: number | string;
  hotlink_exempt?: number | string;
  disabled?: number | string;
  storage_quota?: number | string | null;
  daily_upload_quota?: number | string | null;
  max_files?: number | string | null;
  expiry_exempt?: number | string;
  skip_file_viewer?: number | string;
  embed_domains?: string;
};

const limitOf = (v: number | string | null | undefined): number | null =>
  v === null || v === undefined ? null : num(v);

export function userRecord(r: UserRow): UserRecord {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    isAdmin: num(r.is_admin) === 1,
    createdAt: num(r.created_at),
    email: r.email,
    hotlinkingEnabled: num(r.hotlinking_enabled ?? 0) === 1,
    hotlinkExempt: num(r.hotlink_exempt ?? 0) === 1,
    disabled: num(r.disabled ?? 0) === 1,
    storageQuota: limitOf(r.storage_quota),
    dailyUploadQuota: limitOf(r.daily_upload_quota),
    maxFiles: limitOf(r.max_files),
    expiryExempt: num(r.expiry_exempt ?? 0) === 1,
    skipFileViewer: num(r.skip_file_viewer ?? 0) === 1,
    embedDomains: (r.embed_domains ?? '').split(' ').filter(Boolean),
  };
}

function uniqueField(err: unknown): UniqueViolation | null {
  if (!isUniqueViolation(err)) return null;
  return new UniqueViolation(/email/.test(violationText(err)) ? 'email' : 'username');
}

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Db) {}

  async insertUser(u: UserRecord): Promise<void> {
    try {
      await this.db
        .insertInto('users')
        .values({
          id: u.id,
          username: u.username,
          password_hash: u.passwordHash,
          is_admin: u.isAdmin ? 1 : 0,
          created_at: u.createdAt,
          email: u.email,
        })
        .execute();
    } catch (err) {
      throw uniqueField(err) ?? err;
    }
  }

  async findUserByEmail(email: string): Promise<UserRecord | null> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
    return r ? userRecord(r) : null;
  }

  async updateUser(
    id: string,
    changes: Partial<Pick<UserRecord, 'username' | 'email' | 'passwordHash'>>,
  ): Promise<void> {
    const set: { username?: string; email?: string | null; password_hash?: string | null } = {};
    if (changes.username !== undefined) set.username = changes.username;
    if (changes.email !== undefined) set.email = changes.email;
    if (changes.passwordHash !== undefined) set.password_hash = changes.passwordHash;
    if (Object.keys(set).length === 0) return;
    try {
      await this.db.updateTable('users').set(set).where('id', '=', id).execute();
    } catch (err) {
      throw uniqueField(err) ?? err;
    }
  }

  async setUserFlags(id: string, flags: Partial<UserFlags>): Promise<boolean> {
    const columns = {
      hotlinkingEnabled: 'hotlinking_enabled',
      hotlinkExempt: 'hotlink_exempt',
      disabled: 'disabled',
      isAdmin: 'is_admin',
      expiryExempt: 'expiry_exempt',
    } as const;
    const set: Partial<Record<(typeof columns)[keyof UserFlags], number>> = {};
    for (const [k, column] of Object.entries(columns) as [keyof UserFlags, string][]) {
      const v = flags[k];
      if (v !== undefined) set[column as (typeof columns)[keyof UserFlags]] = v ? 1 : 0;
    }
    if (Object.keys(set).length === 0) return (await this.findUserById(id)) !== null;
    const res = await this.db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async setUserLimits(id: string, limits: Partial<UserLimits>): Promise<boolean> {
    const set: {
      storage_quota?: number | null;
      daily_upload_quota?: number | null;
      max_files?: number | null;
    } = {};
    if (limits.storageQuota !== undefined) set.storage_quota = limits.storageQuota;
    if (limits.dailyUploadQuota !== undefined) set.daily_upload_quota = limits.dailyUploadQuota;
    if (limits.maxFiles !== undefined) set.max_files = limits.maxFiles;
    if (Object.keys(set).length === 0) return (await this.findUserById(id)) !== null;
    const res = await this.db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async setSharing(
    id: string,
    settings: Partial<Pick<UserRecord, 'skipFileViewer' | 'embedDomains'>>,
  ): Promise<boolean> {
    const set: { skip_file_viewer?: number; embed_domains?: string } = {};
    if (settings.skipFileViewer !== undefined)
      set.skip_file_viewer = settings.skipFileViewer ? 1 : 0;
    if (settings.embedDomains !== undefined) set.embed_domains = settings.embedDomains.join(' ');
    if (Object.keys(set).length === 0) return (await this.findUserById(id)) !== null;
    const res = await this.db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async deleteUser(id: string): Promise<void> {
    // Keys and lists go by ON DELETE CASCADE.
    await this.db.deleteFrom('users').where('id', '=', id).execute();
  }

  async findUserByName(username: string): Promise<UserRecord | null> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return r ? userRecord(r) : null;
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? userRecord(r) : null;
  }

  async insertKey(k: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        key_hash: k.keyHash,
        key_id: k.keyId,
        user_id: k.userId,
        app_name: k.appName,
        created_at: k.createdAt,
        creation_ip: k.creationIp,
        last_used_at: k.lastUsedAt,
        user_agent: k.userAgent,
        access_level: k.accessLevel,
      })
      .execute();
  }

  async findKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const r = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', keyHash)
      .executeTakeFirst();
    return r ? keyRecord(r) : null;
  }

  async listKeys(userId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
    return rows.map(keyRecord);
  }

  async deleteKey(handle: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('api_keys')
      .where((eb) => eb.or([eb('key_hash', '=', handle), eb('key_id', '=', handle)]))
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async touchKey(keyHash: string, at: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('key_hash', '=', keyHash)
      .execute();
  }
}
