import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { configError } from './config.test-helpers.js';

describe('virus scanning settings', () => {
  it('defaults: off; captcha; 2 at a time; a sweep a minute, errors retried after an hour', () => {
    expect(loadConfig({}, {})).toMatchObject({
      clamav: null,
      clamavAction: 'captcha',
      clamavConcurrency: 2,
      clamavTimeoutMs: 60_000,
      clamavSweepMs: 60_000,
      clamavRetryMs: 3_600_000,
    });
  });

  it('reads clamd’s address as a unix socket or TCP', () => {
    const at = (v: string) => loadConfig({}, { STOWAGE_CLAMAV: v }).clamav;
    expect(at('unix:/run/clamav/clamd.ctl')).toEqual({ unix: '/run/clamav/clamd.ctl' });
    expect(at('/run/clamav/clamd.ctl')).toEqual({ unix: '/run/clamav/clamd.ctl' });
    expect(at('tcp://clamav:3310')).toEqual({ host: 'clamav', port: 3310 });
    expect(at('tcp://10.0.0.5')).toEqual({ host: '10.0.0.5', port: 3310 });
    expect(at('tcp://[::1]:3311')).toEqual({ host: '::1', port: 3311 });
  });

  it('reads the others; flags win', () => {
    const env = {
      STOWAGE_CLAMAV_ACTION: 'BLOCK',
      STOWAGE_CLAMAV_CONCURRENCY: '4',
      STOWAGE_CLAMAV_TIMEOUT_MS: '5000',
      STOWAGE_CLAMAV_SWEEP_MS: '0',
      STOWAGE_CLAMAV_RETRY_MS: '600000',
    };
    expect(loadConfig({}, env)).toMatchObject({
      clamavAction: 'block',
      clamavConcurrency: 4,
      clamavTimeoutMs: 5000,
      clamavSweepMs: 0,
      clamavRetryMs: 600_000,
    });
    expect(loadConfig({ clamavConcurrency: 1 }, env).clamavConcurrency).toBe(1);
  });

  it.each([
    ['STOWAGE_CLAMAV', 'clamd.ctl'],
    ['STOWAGE_CLAMAV', 'unix:relative/path'],
    ['STOWAGE_CLAMAV', 'http://clamav:3310'],
    ['STOWAGE_CLAMAV', 'tcp://clamav:3310/path'],
    ['STOWAGE_CLAMAV_ACTION', 'delete'],
    ['STOWAGE_CLAMAV_CONCURRENCY', '0'],
    ['STOWAGE_CLAMAV_TIMEOUT_MS', '10'],
  ])('refuses %s=%j, naming the setting', (setting, raw) => {
    expect(configError(() => loadConfig({}, { [setting]: raw })).setting).toBe(setting);
  });
});
