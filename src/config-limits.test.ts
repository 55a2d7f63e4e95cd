import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { configError } from './config.test-helpers.js';

describe('limits settings', () => {
  it('defaults for a small public instance', () => {
    expect(loadConfig({}, {})).toMatchObject({
      userStorageQuota: 20_000_000_000,
      userDailyUpload: 10_000_000_000,
      userMaxFiles: 10_000,
      anonDailyUploads: 100,
      anonDailyUploadBytes: 2_000_000_000,
      fileExpiryDays: 60,
      registration: 'open',
    });
  });

  it('reads sizes with units, counts, 0 and `unlimited`; flags win', () => {
    const env = {
      STOWAGE_USER_STORAGE_QUOTA: '5GiB',
      STOWAGE_USER_DAILY_UPLOAD: 'unlimited',
      STOWAGE_USER_MAX_FILES: '0',
      STOWAGE_ANON_DAILY_UPLOADS: '20',
      STOWAGE_ANON_DAILY_UPLOAD_BYTES: '500MB',
      STOWAGE_FILE_EXPIRY_DAYS: '0',
      STOWAGE_REGISTRATION: 'Invite',
    };
    expect(loadConfig({}, env)).toMatchObject({
      userStorageQuota: 5 * 1024 ** 3,
      userDailyUpload: 0,
      userMaxFiles: 0,
      anonDailyUploads: 20,
      anonDailyUploadBytes: 500_000_000,
      fileExpiryDays: 0,
      registration: 'invite',
    });
    expect(loadConfig({ fileExpiryDays: 7 }, env).fileExpiryDays).toBe(7);
  });

  it.each([
    ['STOWAGE_USER_STORAGE_QUOTA', 'lots'],
    ['STOWAGE_USER_DAILY_UPLOAD', '-1'],
    ['STOWAGE_USER_MAX_FILES', '1.5'],
    ['STOWAGE_ANON_DAILY_UPLOADS', '-3'],
    ['STOWAGE_FILE_EXPIRY_DAYS', '40000'],
    ['STOWAGE_REGISTRATION', 'sometimes'],
  ])('refuses %s=%j, naming the setting', (setting, raw) => {
    expect(configError(() => loadConfig({}, { [setting]: raw })).setting).toBe(setting);
  });
});
