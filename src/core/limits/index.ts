import type { AccountLimits } from './account-limits.js';
import type { InactivityExpiry } from './inactivity.js';
import type { InviteService } from './invites.js';
import type { QuotaService } from './quota.js';

export { QuotaService, type QuotaDefaults } from './quota.js';
export { InviteService, INVITE_DEFAULT_DAYS, INVITE_MAX_DAYS } from './invites.js';
export { InactivityExpiry } from './inactivity.js';
export { AccountLimits, type LimitChanges } from './account-limits.js';
export { UNLIMITED, effectiveLimit } from './quota-math.js';

/** Quotas, invites and inactivity expiry (core.limits). */
export interface Limits {
  quota: QuotaService;
  invites: InviteService;
  inactivity: InactivityExpiry;
  /** Per-account overrides and expiry exemption, set by admins (audit-logged). */
  accounts: AccountLimits;
}
