import type { ApiKeyRecord, UserRecord, UserRepository } from '../core/records.js';
import type { Db } from './db.js';
import { num } from './schema.js';

type KeyRow = {
  key_hash: string;
  key_id: string;
  user_id: string;
  app_name: string;
  created_at: number | string;
  creation_ip: string;
  last_used_at: number | string;
};

function keyRecord(r: KeyRow): ApiKeyRecord {
  return {
    keyHash: r.key_hash,
    keyId: r.key_id,
    userId: r.user_id,
    appName: r.app_name,
    createdAt: num(r.created_at),
    creationIp: r.creation_ip,
    lastUsedAt: num(r.last_used_at),
  };
}

type UserRow = {
  id: string;
  username: string;
  password_hash: string | null;
  is_admin: number | string;
  created_at: number | string;
};

function userRecord(r: UserRow): UserRecord {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    isAdmin: num(r.is_admin) === 1,
    createdAt: num(r.created_at),
  };
}

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Db) {}

  async insertUser(u: UserRecord): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: u.id,
        username: u.username,
        password_hash: u.passwordHash,
        is_admin: u.isAdmin ? 1 : 0,
        created_at: u.createdAt,
      })
      .execute();
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
