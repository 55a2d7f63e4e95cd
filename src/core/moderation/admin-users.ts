import type { AccountService } from '../accounts.js';
import { CoreError } from '../errors.js';
import type { UserFlags, UserRecord } from '../records.js';
import type { Actor, AuditLog } from './audit.js';

/** The flags an admin may set on an account here (limits are the `limits` area's). */
export type AdminFlags = Partial<Pick<UserFlags, 'disabled' | 'isAdmin' | 'hotlinkExempt'>>;

/** What each flag change is called in the audit log. */
const ACTIONS: Record<keyof AdminFlags, (v: boolean) => string> = {
  disabled: (v) => (v ? 'user.disable' : 'user.enable'),
  isAdmin: (v) => (v ? 'user.make_admin' : 'user.remove_admin'),
  hotlinkExempt: (v) => (v ? 'user.hotlink_exempt' : 'user.hotlink_unexempt'),
};

/**
 * Accounts as admins manage them: disable (no login, keys refused with account_banned), admin
 * role, hotlink exemption, delete, password. Every change is written to the audit log. An admin
 * cannot disable, demote or delete their own account (cannot_modify_self).
 */
export class AdminUsers {
  constructor(
    private readonly accounts: AccountService,
    private readonly audit: AuditLog,
    /** Called when an account's flags changed (the download rules cache them). */
    private readonly changed: (userId: string) => void = () => {},
  ) {}

  async setFlags(
    userId: string,
    flags: AdminFlags,
    actor: Actor,
    reason = '',
  ): Promise<UserRecord> {
    if (actor.userId === userId && (flags.disabled === true || flags.isAdmin === false))
      throw new CoreError(
        'cannot_modify_self',
        'Administrators cannot disable or demote themselves',
      );
    const before = await this.accounts.userById(userId);
    const set: AdminFlags = {};
    for (const k of Object.keys(ACTIONS) as (keyof AdminFlags)[])
      if (flags[k] !== undefined && flags[k] !== (before[k] ?? false)) set[k] = flags[k];
    if (Object.keys(set).length === 0) return before;
    const after = await this.accounts.setFlags(userId, set);
    this.changed(userId);
    for (const [k, v] of Object.entries(set) as [keyof AdminFlags, boolean][])
      await this.audit.record(actor, ACTIONS[k](v), { type: 'user', id: userId }, reason, {
        username: before.username,
      });
    return after;
  }

  async delete(userId: string, actor: Actor, reason = ''): Promise<void> {
    if (actor.userId === userId)
      throw new CoreError('cannot_modify_self', 'Administrators cannot delete their own account');
    const user = await this.accounts.userById(userId);
    await this.accounts.deleteAccount(userId);
    this.changed(userId);
    await this.audit.record(actor, 'user.delete', { type: 'user', id: userId }, reason, {
      username: user.username,
    });
  }

  async setPassword(userId: string, password: string, actor: Actor, reason = ''): Promise<void> {
    const user = await this.accounts.userById(userId);
    await this.accounts.setPassword(userId, password);
    await this.audit.record(actor, 'user.passwd', { type: 'user', id: userId }, reason, {
      username: user.username,
    });
  }
}
