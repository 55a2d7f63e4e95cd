import { describe, expect, it } from 'vitest';
import { MemoryState } from '../../state/memory-state.js';
import type { Principal } from '../accounts.js';
import { CoreError } from '../errors.js';
import type { UserRecord } from '../records.js';
import { clientKey, QuotaService } from './quota.js';
import type { LimitsRepository } from './records.js';

const DAY = 24 * 3600 * 1000;

function setup(user: Partial<UserRecord> = {}) {
  let now = 10 * DAY;
  const files: { owner: string; size: number; at: number }[] = [];
  const repo: LimitsRepository = {
    usageOf: async (o) => {
      const mine = files.filter((f) => f.owner === o);
      return { count: mine.length, bytes: mine.reduce((n, f) => n + f.size, 0) };
    },
    uploadedSince: async (o, since) =>
      files.filter((f) => f.owner === o && f.at >= since).reduce((n, f) => n + f.size, 0),
    listInactive: async () => [],
    resetTimers: async () => {},
    exemptUsers: async () => [],
  };
  const record: UserRecord = {
    id: 'u1',
    username: 'alice',
    passwordHash: null,
    isAdmin: false,
    createdAt: 0,
    email: null,
    ...user,
  };
  const quota = new QuotaService(
    repo,
    { findUserById: async (id) => (id === record.id ? record : null) },
    new MemoryState(() => now),
    {
      defaults: { storage: 1000, daily: 600, files: 5, anonUploads: 2, anonBytes: 300 },
      now: () => now,
    },
  );
  const alice: Principal = {
    userId: 'u1',
    username: 'alice',
    isAdmin: record.isAdmin,
    keyHash: '',
    keyId: '',
    accessLevel: 'full',
  };
  const stored = (size: number) => files.push({ owner: 'u1', size, at: now });
  return { quota, alice, stored, tick: (ms: number) => (now += ms) };
}

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return err instanceof CoreError ? err.code : String(err);
  }
}

describe('QuotaService', () => {
  it('refuses an account past its 24-hour bytes, then admits again a day later', async () => {
    const { quota, alice, stored, tick } = setup();
    stored(500);
    expect(await codeOf(quota.admit(alice, null, 100))).toBeNull();
    expect(await codeOf(quota.admit(alice, null, 101))).toBe('user_out_of_space');
    // Declared before the body too.
    expect(await codeOf(quota.beforeBody(alice, null, 101))).toBe('user_out_of_space');
    expect(await codeOf(quota.beforeBody(alice, null, null))).toBeNull();
    tick(DAY);
    expect(await codeOf(quota.admit(alice, null, 101))).toBeNull();
  });

  it('refuses past the storage quota and the file count', async () => {
    const { quota, alice, stored, tick } = setup();
    stored(500);
    tick(DAY);
    stored(450);
    tick(DAY);
    const err = await quota.admit(alice, null, 51).catch((e: CoreError) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).extra).toEqual({ limit: 'storage', max: 1000, used: 950 });
    for (let i = 0; i < 3; i++) stored(1);
    expect(await codeOf(quota.admit(alice, null, 0))).toBe('file_limit_reached');
  });

  it('applies the account overrides: -1 unlimited, numbers replace the defaults', async () => {
    const { quota, alice, stored } = setup({ storageQuota: -1, dailyUploadQuota: -1, maxFiles: 1 });
    expect(await codeOf(quota.admit(alice, null, 5000))).toBeNull();
    stored(5000);
    expect(await codeOf(quota.admit(alice, null, 1))).toBe('file_limit_reached');
  });

  it('leaves admins unlimited', async () => {
    const { quota, alice } = setup({ isAdmin: true });
    expect(await codeOf(quota.admit({ ...alice, isAdmin: true }, null, 10_000))).toBeNull();
  });

  it('counts anonymous uploads per address and day, files and bytes', async () => {
    const { quota, tick } = setup();
    expect(await codeOf(quota.admit(null, '10.0.0.1', 100))).toBeNull();
    expect(await codeOf(quota.beforeBody(null, '10.0.0.1', 250))).toBe('anonymous_upload_limit');
    expect(await codeOf(quota.admit(null, '10.0.0.1', 100))).toBeNull();
    const err = (await quota.admit(null, '10.0.0.1', 1).catch((e: unknown) => e)) as CoreError;
    expect(err.code).toBe('anonymous_upload_limit');
    expect(err.extra).toMatchObject({ max: 2, kind: 'files' });
    expect(Number(err.extra!.retryAfterMs)).toBeGreaterThan(DAY - 1000);
    // Another address has its own budget; a refused upload counted nothing.
    expect(await codeOf(quota.admit(null, '10.0.0.2', 300))).toBeNull();
    expect(await codeOf(quota.admit(null, '10.0.0.2', 1))).toBe('anonymous_upload_limit');
    tick(DAY);
    expect(await codeOf(quota.admit(null, '10.0.0.1', 100))).toBeNull();
  });
});

describe('clientKey', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:0:12:aaaa::1')).toBe('2001:db8:0:12::/64');
    expect(clientKey('2001:0db8:0000:0012:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:12::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });

  it('shares one budget within a /64', async () => {
    const { quota } = setup();
    expect(await codeOf(quota.admit(null, '2001:db8:1:2::a', 10))).toBeNull();
    expect(await codeOf(quota.admit(null, '2001:db8:1:2::b', 10))).toBeNull();
    expect(await codeOf(quota.admit(null, '2001:db8:1:2:ffff::c', 10))).toBe(
      'anonymous_upload_limit',
    );
    expect(await codeOf(quota.admit(null, '2001:db8:1:3::a', 10))).toBeNull();
  });
});
