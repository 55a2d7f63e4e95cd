import { describe, expect, it } from 'vitest';
import type { AccountService } from '../accounts.js';
import type { UserFlags, UserRecord } from '../records.js';
import { AdminUsers } from './admin-users.js';
import { AuditLog, type AuditEntry } from './audit.js';

function fakeAccounts(user: UserRecord) {
  const calls: string[] = [];
  const accounts = {
    userById: async () => ({ ...user }),
    setFlags: async (_id: string, flags: Partial<UserFlags>) => {
      calls.push(`flags ${JSON.stringify(flags)}`);
      Object.assign(user, flags);
      return { ...user };
    },
    deleteAccount: async () => void calls.push('delete'),
    setPassword: async () => void calls.push('passwd'),
  } as unknown as AccountService;
  return { accounts, calls };
}

const target: UserRecord = {
  id: 'u2',
  username: 'bob',
  passwordHash: null,
  isAdmin: false,
  createdAt: 0,
  email: null,
};

describe('AdminUsers', () => {
  it('changes only flags that differ, one audit entry each, and tells the rules cache', async () => {
    const rows: AuditEntry[] = [];
    const log = new AuditLog({
      insert: async (e) => void rows.push(e),
      list: async () => ({ entries: rows, total: rows.length }),
    });
    const { accounts, calls } = fakeAccounts({ ...target });
    const changed: string[] = [];
    const admin = new AdminUsers(accounts, log, (id) => changed.push(id));
    const actor = { userId: 'u1', name: 'alice' };
    await admin.setFlags('u2', { disabled: true, isAdmin: false }, actor, 'spam');
    expect(calls).toEqual(['flags {"disabled":true}']);
    expect(changed).toEqual(['u2']);
    expect(rows.map((r) => [r.action, r.reason, r.details])).toEqual([
      ['user.disable', 'spam', { username: 'bob' }],
    ]);
    await admin.setFlags('u2', { disabled: true }, actor);
    expect(calls).toHaveLength(1);
  });

  it('an admin cannot disable, demote or delete themselves', async () => {
    const log = new AuditLog({
      insert: async () => {},
      list: async () => ({ entries: [], total: 0 }),
    });
    const { accounts, calls } = fakeAccounts({ ...target, id: 'u1', isAdmin: true });
    const admin = new AdminUsers(accounts, log);
    const me = { userId: 'u1', name: 'alice' };
    for (const flags of [{ disabled: true }, { isAdmin: false }])
      await expect(admin.setFlags('u1', flags, me)).rejects.toMatchObject({
        code: 'cannot_modify_self',
      });
    await expect(admin.delete('u1', me)).rejects.toMatchObject({ code: 'cannot_modify_self' });
    await admin.setFlags('u1', { hotlinkExempt: true }, me);
    expect(calls).toEqual(['flags {"hotlinkExempt":true}']);
  });
});
