import { parseInteger, parseSize, type Picker } from './config-values.js';

/**
 * Quotas and retention (issue 15): per-account storage, daily uploads and file count, anonymous
 * uploads per client address, inactivity expiry. Part of `Config`. Byte and count limits use 0 for
 * "unlimited" (per-account overrides in the database use -1).
 */
export interface LimitsConfig {
  /** Bytes an account may keep stored (sum of its files' sizes); 0 = unlimited. */
  userStorageQuota: number;
  /** Bytes an account may upload in any 24 hours (files still stored); 0 = unlimited. */
  userDailyUpload: number;
  /** Files an account may keep; 0 = unlimited. */
  userMaxFiles: number;
  /** Anonymous uploads per client address per day; 0 = unlimited. */
  anonDailyUploads: number;
  /** Anonymous upload bytes per client address per day; 0 = unlimited. */
  anonDailyUploadBytes: number;
  /** A file not downloaded for this many days is deleted; 0 = never. */
  fileExpiryDays: number;
}

export const LIMITS_ENV: Record<keyof LimitsConfig, string> = {
  userStorageQuota: 'STOWAGE_USER_STORAGE_QUOTA',
  userDailyUpload: 'STOWAGE_USER_DAILY_UPLOAD',
  userMaxFiles: 'STOWAGE_USER_MAX_FILES',
  anonDailyUploads: 'STOWAGE_ANON_DAILY_UPLOADS',
  anonDailyUploadBytes: 'STOWAGE_ANON_DAILY_UPLOAD_BYTES',
  fileExpiryDays: 'STOWAGE_FILE_EXPIRY_DAYS',
};

/**
 * Defaults for a small public instance (a few hundred GB of disk): 20 GB per account holds two
 * files of the largest size and ~25 accounts fill 500 GB; 10 GB a day lets one largest file
 * through a day; 10 000 files is pixeldrain's list size; an address without an account may upload
 * 100 files and 2 GB a day (anonymous uploads are the usual vector of abuse); 60 days of
 * inactivity is pixeldrain's free plan.
 */
export const LIMITS_DEFAULTS: LimitsConfig = {
  userStorageQuota: 20 * 1000 ** 3,
  userDailyUpload: 10 * 1000 ** 3,
  userMaxFiles: 10_000,
  anonDailyUploads: 100,
  anonDailyUploadBytes: 2 * 1000 ** 3,
  fileExpiryDays: 60,
};

/** A size, or 0 / `unlimited` for none. */
function sizeOrUnlimited(setting: string, raw: string | number): number {
  const v = String(raw).trim().toLowerCase();
  if (v === '0' || v === 'unlimited') return 0;
  return parseSize(setting, raw);
}

/** Reads the limits settings into `c`. */
export function loadLimitsConfig(c: LimitsConfig, pick: Picker<keyof LimitsConfig>): void {
  for (const key of ['userStorageQuota', 'userDailyUpload', 'anonDailyUploadBytes'] as const) {
    const given = pick(key);
    if (given) c[key] = sizeOrUnlimited(given.setting, given.value as string | number);
  }
  const counts: Array<[keyof LimitsConfig, number]> = [
    ['userMaxFiles', 1_000_000_000],
    ['anonDailyUploads', 1_000_000_000],
    ['fileExpiryDays', 36_500],
  ];
  for (const [key, max] of counts) {
    const given = pick(key);
    if (!given) continue;
    const v = String(given.value).trim().toLowerCase();
    c[key] = v === 'unlimited' ? 0 : parseInteger(given.setting, given.value as string, 0, max);
  }
}
