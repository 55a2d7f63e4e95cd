/**
 * The arithmetic of the upload quotas, apart from any storage: effective limits (an account's
 * override or the instance default) and the verdict for one more upload.
 */

/** "No limit", as limits are reported (pixeldrain's storage_space -1) and stored per account. */
export const UNLIMITED = -1;

/**
 * The limit that applies: the account's override when set (-1 = unlimited), else the instance
 * default (0 = unlimited). Returns -1 for unlimited, else a positive number.
 */
export function effectiveLimit(override: number | null | undefined, instance: number): number {
  if (override !== null && override !== undefined) return override < 0 ? UNLIMITED : override;
  return instance > 0 ? instance : UNLIMITED;
}

export interface AccountLimits {
  /** Bytes stored (-1 unlimited). */
  storage: number;
  /** Bytes uploaded in any 24 hours (-1 unlimited). */
  daily: number;
  /** Files kept (-1 unlimited). */
  files: number;
}

export interface AccountUsage {
  /** Bytes stored now. */
  bytes: number;
  /** Files kept now. */
  count: number;
  /** Bytes uploaded in the last 24 hours (files still stored). */
  lastDay: number;
}

export type QuotaVerdict =
  { ok: true } | { ok: false; limit: 'storage' | 'daily' | 'files'; max: number; used: number };

/** Whether one more file of `bytes` fits the account's limits. */
export function admitUpload(
  limits: AccountLimits,
  usage: AccountUsage,
  bytes: number,
): QuotaVerdict {
  if (limits.files !== UNLIMITED && usage.count + 1 > limits.files) {
    return { ok: false, limit: 'files', max: limits.files, used: usage.count };
  }
  if (limits.storage !== UNLIMITED && usage.bytes + bytes > limits.storage) {
    return { ok: false, limit: 'storage', max: limits.storage, used: usage.bytes };
  }
  if (limits.daily !== UNLIMITED && usage.lastDay + bytes > limits.daily) {
    return { ok: false, limit: 'daily', max: limits.daily, used: usage.lastDay };
  }
  return { ok: true };
}

/** Bytes left under a limit (-1 unlimited). */
export function remaining(limit: number, used: number): number {
  return limit === UNLIMITED ? UNLIMITED : Math.max(0, limit - used);
}
