import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { configError } from './config.test-helpers.js';

describe('traffic time series settings', () => {
  it('defaults: minutes for 2 days, hours for 60, a rollup every 10 minutes', () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({ seriesMinuteDays: 2, seriesHourDays: 60, seriesRollupMs: 600_000 });
  });

  it('reads them from the environment; flags win', () => {
    const env = {
      STOWAGE_SERIES_MINUTE_DAYS: '7',
      STOWAGE_SERIES_HOUR_DAYS: '365',
      STOWAGE_SERIES_ROLLUP_MS: '0',
    };
    expect(loadConfig({}, env)).toMatchObject({
      seriesMinuteDays: 7,
      seriesHourDays: 365,
      seriesRollupMs: 0,
    });
    expect(loadConfig({ seriesMinuteDays: 3 }, env).seriesMinuteDays).toBe(3);
  });

  it.each([
    ['STOWAGE_SERIES_MINUTE_DAYS', '0'],
    ['STOWAGE_SERIES_MINUTE_DAYS', 'two'],
    ['STOWAGE_SERIES_HOUR_DAYS', '1'],
    ['STOWAGE_SERIES_ROLLUP_MS', '-1'],
  ])('refuses %s=%j, naming the setting', (setting, raw) => {
    expect(configError(() => loadConfig({}, { [setting]: raw })).setting).toBe(setting);
  });
});

describe('download rules settings', () => {
  it('defaults: hotlink rule 3× and 10 downloads, captcha on, per-IP limits off', () => {
    expect(loadConfig({}, {})).toMatchObject({
      hotlinkFactor: 3,
      hotlinkMinDownloads: 10,
      captcha: true,
      captchaHmacKey: null,
      captchaDifficulty: 50_000,
      ipDownloadLimit: 0,
      ipTransferLimit: 0,
      ipLimitAction: 'captcha',
      ipSpeedLimit: 1024 * 1024,
    });
  });

  it('reads them from the environment', () => {
    const c = loadConfig(
      {},
      {
        STOWAGE_HOTLINK_FACTOR: '0',
        STOWAGE_HOTLINK_MIN_DOWNLOADS: '50',
        STOWAGE_CAPTCHA: 'false',
        STOWAGE_CAPTCHA_HMAC_KEY: 'a-secret-of-some-length',
        STOWAGE_CAPTCHA_DIFFICULTY: '200000',
        STOWAGE_IP_DOWNLOAD_LIMIT: '10000',
        STOWAGE_IP_TRANSFER_LIMIT: '6GB',
        STOWAGE_IP_LIMIT_ACTION: 'slow',
        STOWAGE_IP_SPEED_LIMIT: '512KiB',
      },
    );
    expect(c).toMatchObject({
      hotlinkFactor: 0,
      hotlinkMinDownloads: 50,
      captcha: false,
      captchaHmacKey: 'a-secret-of-some-length',
      captchaDifficulty: 200_000,
      ipDownloadLimit: 10_000,
      ipTransferLimit: 6 * 1000 ** 3,
      ipLimitAction: 'slow',
      ipSpeedLimit: 512 * 1024,
    });
    expect(loadConfig({}, { STOWAGE_IP_TRANSFER_LIMIT: '0' }).ipTransferLimit).toBe(0);
  });

  it.each([
    ['STOWAGE_HOTLINK_FACTOR', '-1'],
    ['STOWAGE_HOTLINK_MIN_DOWNLOADS', 'many'],
    ['STOWAGE_CAPTCHA', 'perhaps'],
    ['STOWAGE_CAPTCHA_HMAC_KEY', 'short'],
    ['STOWAGE_CAPTCHA_DIFFICULTY', '10'],
    ['STOWAGE_IP_TRANSFER_LIMIT', 'lots'],
    ['STOWAGE_IP_LIMIT_ACTION', 'block'],
    ['STOWAGE_IP_SPEED_LIMIT', '0'],
  ])('refuses %s=%j, naming the setting', (setting, raw) => {
    expect(configError(() => loadConfig({}, { [setting]: raw })).setting).toBe(setting);
  });
});

describe('metrics settings', () => {
  it('defaults: off, on the main port, no token', () => {
    expect(loadConfig({}, {})).toMatchObject({
      metrics: false,
      metricsPort: null,
      metricsToken: null,
    });
  });

  it('reads them from the environment', () => {
    const c = loadConfig(
      {},
      {
        STOWAGE_METRICS: 'true',
        STOWAGE_METRICS_PORT: '9464',
        STOWAGE_METRICS_TOKEN: 'a-long-scrape-token-123',
      },
    );
    expect(c).toMatchObject({
      metrics: true,
      metricsPort: 9464,
      metricsToken: 'a-long-scrape-token-123',
    });
  });

  it.each([
    ['STOWAGE_METRICS', 'perhaps'],
    ['STOWAGE_METRICS_PORT', '70000'],
    ['STOWAGE_METRICS_PORT', '8080'],
    ['STOWAGE_METRICS_TOKEN', 'short'],
    ['STOWAGE_METRICS_TOKEN', 'has a space in it, long enough'],
  ])('refuses %s=%j, naming the setting', (setting, raw) => {
    expect(configError(() => loadConfig({}, { [setting]: raw })).setting).toBe(setting);
  });
});

describe('file_stats websocket settings', () => {
  it('defaults: a poll a second, 8 sockets per address, 32 files per socket', () => {
    expect(loadConfig({}, {})).toMatchObject({
      statsPollMs: 1000,
      statsSocketsPerIp: 8,
      statsMaxSubscriptions: 32,
    });
  });

  it('reads them from the environment', () => {
    const env = {
      STOWAGE_STATS_POLL_MS: '250',
      STOWAGE_STATS_SOCKETS_PER_IP: '2',
      STOWAGE_STATS_MAX_SUBSCRIPTIONS: '100',
    };
    expect(loadConfig({}, env)).toMatchObject({
      statsPollMs: 250,
      statsSocketsPerIp: 2,
      statsMaxSubscriptions: 100,
    });
  });

  it.each([
    ['STOWAGE_STATS_POLL_MS', '10'],
    ['STOWAGE_STATS_SOCKETS_PER_IP', '0'],
    ['STOWAGE_STATS_MAX_SUBSCRIPTIONS', 'many'],
  ])('refuses %s=%j, naming the setting', (setting, raw) => {
    expect(configError(() => loadConfig({}, { [setting]: raw })).setting).toBe(setting);
  });
});
