import { CoreError } from '../errors.js';
import type { Actor, AuditLog } from '../moderation/audit.js';
import type { UserLimits, UserRecord, UserRepository } from '../records.js';
import type { InactivityExpiry } from './inactivity.js';

/** A change of an account's limits: a number (-1 = unlimited), null = back to the default. */
export interface LimitChanges {
  storageQuota?: number | null;
  dailyUploadQuota?: number | null;
  maxFiles?: number | null;
  expiryExempt?: boolean;
}

/** Admins (API, CLI) set an account's limits and expiry exemption; each change is audit-logged. */
export class AccountLimits {
  constructor(
    private readonly users: UserRepository,
    private readonly audit: AuditLog,
    private readonly inactivity: InactivityExpiry,
  ) {}

  async set(actor: Actor, userId: string, changes: LimitChanges, reason = ''): Promise<UserRecord> {
    const before = await this.users.findUserById(userId);
    if (!before) throw new CoreError('user_not_found', 'The user could not be found');
    for (const key of ['storageQuota', 'dailyUploadQuota', 'maxFiles'] as const) {
      const v = changes[key];
      if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && v >= -1)) {
        throw new CoreError('invalid_input', `${key} must be -1, 0 or a positive integer`, {
          issues: [
            { field: key, problem: 'out_of_range', min: -1, max: Number.MAX_SAFE_INTEGER, len: v },
          ],
        });
      }
    }
    const limits: Partial<UserLimits> = {};
    if (changes.storageQuota !== undefined) limits.storageQuota = changes.storageQuota;
    if (changes.dailyUploadQuota !== undefined) limits.dailyUploadQuota = changes.dailyUploadQuota;
    if (changes.maxFiles !== undefined) limits.maxFiles = changes.maxFiles;
    if (Object.keys(limits).length > 0) await this.users.setUserLimits(userId, limits);
    if (changes.expiryExempt !== undefined) {
      await this.users.setUserFlags(userId, { expiryExempt: changes.expiryExempt });
      this.inactivity.exemptChanged(userId, changes.expiryExempt);
    }
    const after = (await this.users.findUserById(userId))!;
    const pick = (u: UserRecord) => ({
      storage_quota: u.storageQuota ?? null,
      daily_upload_quota: u.dailyUploadQuota ?? null,
      max_files: u.maxFiles ?? null,
      expiry_exempt: u.expiryExempt ?? false,
    });
    await this.audit.record(actor, 'user.limits', { type: 'user', id: userId }, reason, {
      username: after.username,
      before: pick(before),
      after: pick(after),
    });
    return after;
  }
}
