import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig, parseSize } from './config.js';
import { configError } from './config.test-helpers.js';

describe('loadConfig', () => {
  it('defaults when nothing is given', () => {
    const c = loadConfig({}, {});
    expect(c).toEqual({ ...DEFAULTS, dataDir: path.resolve('./data') });
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8080);
    expect(c.publicUrl).toBeNull();
    expect(c.maxFileSize).toBe(10 * 1000 ** 3);
    expect(c.allowAnonymousUploads).toBe(true);
    expect(c.workers).toBe(1);
    expect(c.logLevel).toBe('info');
  });

  it('reads every setting from the environment', () => {
    const c = loadConfig(
      {},
      {
        STOWAGE_HOST: '0.0.0.0',
        STOWAGE_PORT: '9090',
        STOWAGE_DATA_DIR: '/srv/stowage',
        STOWAGE_PUBLIC_URL: 'https://files.example.org/base/',
        STOWAGE_MAX_FILE_SIZE: '512MiB',
        STOWAGE_ALLOW_ANONYMOUS_UPLOADS: 'false',
        STOWAGE_WORKERS: '4',
        STOWAGE_LOG_LEVEL: 'debug',
        STOWAGE_REGISTRATION: 'closed',
        STOWAGE_AUTH_RATE_LIMIT: '5',
        STOWAGE_MEDIA_CONCURRENCY: '3',
        STOWAGE_MEDIA_MAX_PIXELS: '50000000',
        STOWAGE_MEDIA_TIMEOUT_MS: '5000',
        STOWAGE_CHEVERETO_THUMB_SIZE: '320',
        STOWAGE_CHEVERETO_MEDIUM_WIDTH: '800',
      },
    );
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 9090,
      dataDir: path.resolve('/srv/stowage'),
      publicUrl: 'https://files.example.org/base',
      maxFileSize: 512 * 1024 ** 2,
      allowAnonymousUploads: false,
      workers: 4,
      logLevel: 'debug',
      registration: 'closed',
      authRateLimit: 5,
      mediaConcurrency: 3,
      mediaMaxPixels: 50_000_000,
      mediaTimeoutMs: 5000,
      cheveretoThumbSize: 320,
      cheveretoMediumWidth: 800,
    });
  });

  it('media settings: defaults, and invalid values name the setting', () => {
    const c = loadConfig({}, {});
    expect(c.mediaConcurrency).toBeGreaterThanOrEqual(1);
    expect(c.mediaMaxPixels).toBe(100_000_000);
    expect(c.mediaTimeoutMs).toBe(30_000);
    expect(c.cheveretoThumbSize).toBe(160);
    expect(c.cheveretoMediumWidth).toBe(500);
    expect(configError(() => loadConfig({}, { STOWAGE_MEDIA_CONCURRENCY: '0' })).setting).toBe(
      'STOWAGE_MEDIA_CONCURRENCY',
    );
    expect(configError(() => loadConfig({}, { STOWAGE_MEDIA_TIMEOUT_MS: '1s' })).setting).toBe(
      'STOWAGE_MEDIA_TIMEOUT_MS',
    );
    expect(configError(() => loadConfig({ mediaMaxPixels: -1 }, {})).setting).toBe(
      '--media-max-pixels',
    );
  });

  it('resolves a relative data dir to an absolute path', () => {
    expect(loadConfig({}, { STOWAGE_DATA_DIR: 'rel/dir' }).dataDir).toBe(path.resolve('rel/dir'));
  });

  it('ignores empty environment variables', () => {
    expect(loadConfig({}, { STOWAGE_PORT: '', STOWAGE_MAX_FILE_SIZE: '' })).toMatchObject({
      port: 8080,
      maxFileSize: DEFAULTS.maxFileSize,
    });
  });

  it('explicit input wins over the environment', () => {
    const env = {
      STOWAGE_PORT: '9090',
      STOWAGE_HOST: 'example',
      STOWAGE_ALLOW_ANONYMOUS_UPLOADS: 'false',
      STOWAGE_MAX_FILE_SIZE: '1GB',
    };
    const c = loadConfig(
      { port: 1234, host: '::1', allowAnonymousUploads: true, maxFileSize: '2KiB' },
      env,
    );
    expect(c.port).toBe(1234);
    expect(c.host).toBe('::1');
    expect(c.allowAnonymousUploads).toBe(true);
    expect(c.maxFileSize).toBe(2048);
    // undefined / null input falls through to the environment
    expect(loadConfig({ port: undefined, host: null }, env)).toMatchObject({
      port: 9090,
      host: 'example',
    });
  });

  it('accepts port 0 (any free port) and string numbers from the CLI', () => {
    expect(loadConfig({ port: 0 }, {}).port).toBe(0);
    expect(loadConfig({ port: '65535' }, {}).port).toBe(65535);
  });

  it.each([
    ['yes', true],
    ['1', true],
    ['ON', true],
    ['no', false],
    ['0', false],
    [' False ', false],
  ])('STOWAGE_ALLOW_ANONYMOUS_UPLOADS=%j -> %s', (raw, want) => {
    expect(loadConfig({}, { STOWAGE_ALLOW_ANONYMOUS_UPLOADS: raw }).allowAnonymousUploads).toBe(
      want,
    );
  });

  it.each(['abc', '70000', '-1', '80.5', '8080x', '65536'])(
    'invalid STOWAGE_PORT=%j names the setting',
    (raw) => {
      const e = configError(() => loadConfig({}, { STOWAGE_PORT: raw }));
      expect(e.setting).toBe('STOWAGE_PORT');
      expect(e.message).toContain('STOWAGE_PORT');
    },
  );

  it.each(['lots', '0', '10XB', '-5MB', '0.1', 'GB', '1e9'])(
    'invalid STOWAGE_MAX_FILE_SIZE=%j names the setting',
    (raw) => {
      const e = configError(() => loadConfig({}, { STOWAGE_MAX_FILE_SIZE: raw }));
      expect(e.setting).toBe('STOWAGE_MAX_FILE_SIZE');
      expect(e.message).toContain('STOWAGE_MAX_FILE_SIZE');
    },
  );

  it.each(['maybe', 'tru', '2'])(
    'invalid STOWAGE_ALLOW_ANONYMOUS_UPLOADS=%j names the setting',
    (raw) => {
      const e = configError(() => loadConfig({}, { STOWAGE_ALLOW_ANONYMOUS_UPLOADS: raw }));
      expect(e.message).toContain('STOWAGE_ALLOW_ANONYMOUS_UPLOADS');
    },
  );

  it.each(['not a url', 'files.example.org', 'ftp://files.example.org', 'javascript:alert(1)'])(
    'invalid STOWAGE_PUBLIC_URL=%j names the setting',
    (raw) => {
      const e = configError(() => loadConfig({}, { STOWAGE_PUBLIC_URL: raw }));
      expect(e.message).toContain('STOWAGE_PUBLIC_URL');
    },
  );

  it('invalid workers and log level name their settings', () => {
    expect(configError(() => loadConfig({}, { STOWAGE_WORKERS: '0' })).message).toContain(
      'STOWAGE_WORKERS',
    );
    expect(configError(() => loadConfig({}, { STOWAGE_WORKERS: '65' })).message).toContain(
      'STOWAGE_WORKERS',
    );
    expect(configError(() => loadConfig({}, { STOWAGE_LOG_LEVEL: 'loud' })).message).toContain(
      'STOWAGE_LOG_LEVEL',
    );
    expect(configError(() => loadConfig({}, { STOWAGE_HOST: '   ' })).message).toContain(
      'STOWAGE_HOST',
    );
  });

  it('an invalid explicit value names the CLI flag, not the environment variable', () => {
    const e = configError(() => loadConfig({ port: 'abc' }, { STOWAGE_PORT: '9090' }));
    expect(e.setting).toBe('--port');
    expect(e.message).toContain('--port');
    expect(configError(() => loadConfig({ maxFileSize: 'huge' }, {})).message).toContain(
      '--max-file-size',
    );
    expect(configError(() => loadConfig({ publicUrl: 'nope' }, {})).message).toContain(
      '--public-url',
    );
  });

  it('does not read process.env when an environment is passed', () => {
    const saved = process.env.STOWAGE_PORT;
    process.env.STOWAGE_PORT = '7777';
    try {
      expect(loadConfig({}, {}).port).toBe(8080);
      expect(loadConfig({}).port).toBe(7777);
    } finally {
      if (saved === undefined) delete process.env.STOWAGE_PORT;
      else process.env.STOWAGE_PORT = saved;
    }
  });
});

describe('parseSize', () => {
  it.each([
    ['1048576', 1048576],
    ['10GB', 10 * 1000 ** 3],
    ['10gb', 10 * 1000 ** 3],
    ['512MiB', 512 * 1024 ** 2],
    ['1KiB', 1024],
    ['1k', 1000],
    ['2 MB', 2_000_000],
    [' 3TiB ', 3 * 1024 ** 4],
    ['1.5K', 1500],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['7b', 7],
  ])('%j -> %d bytes', (raw, want) => {
    expect(parseSize('X', raw)).toBe(want);
  });

  it('accepts positive integer numbers as byte counts', () => {
    expect(parseSize('X', 5)).toBe(5);
  });

  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN])('refuses the number %d', (n) => {
    expect(configError(() => parseSize('--max-file-size', n)).setting).toBe('--max-file-size');
  });

  it.each(['', 'MB', '10 XB', '-1', '0', '0.0001KB', '1,000', '99999999999TiB'])(
    'refuses %j',
    (raw) => {
      const e = configError(() => parseSize('STOWAGE_MAX_FILE_SIZE', raw));
      expect(e.message).toContain('STOWAGE_MAX_FILE_SIZE');
    },
  );
});

describe('scale-out settings', () => {
  it('PostgreSQL, S3 and Redis from the environment', () => {
    const c = loadConfig(
      {},
      {
        STOWAGE_DATABASE_URL: 'postgres://stowage:secret@db.internal:5432/stowage',
        STOWAGE_DATABASE_SCHEMA: 'files_eu',
        STOWAGE_DATABASE_POOL_SIZE: '20',
        STOWAGE_STORAGE: 's3',
        STOWAGE_S3_BUCKET: 'uploads',
        STOWAGE_S3_REGION: 'eu-west-1',
        STOWAGE_S3_ENDPOINT: 'https://minio.internal:9000',
        STOWAGE_S3_FORCE_PATH_STYLE: 'true',
        STOWAGE_S3_PREFIX: 'stowage/',
        STOWAGE_S3_REDIRECT: 'yes',
        STOWAGE_S3_CHECKSUMS: 'when_required',
        STOWAGE_REDIS_URL: 'redis://cache.internal:6379/2',
      },
    );
    expect(c).toMatchObject({
      databaseUrl: 'postgres://stowage:secret@db.internal:5432/stowage',
      databaseSchema: 'files_eu',
      databasePoolSize: 20,
      storage: 's3',
      s3Bucket: 'uploads',
      s3Region: 'eu-west-1',
      s3Endpoint: 'https://minio.internal:9000',
      s3ForcePathStyle: true,
      s3Prefix: 'stowage/',
      s3Redirect: true,
      s3Checksums: 'when_required',
      redisUrl: 'redis://cache.internal:6379/2',
    });
  });

  it('defaults are the embedded stack', () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({
      databaseUrl: null,
      storage: 'fs',
      redisUrl: null,
      s3Redirect: false,
    });
  });

  it('refuses bad values naming the setting, and never echoes a password', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ STOWAGE_DATABASE_URL: 'mysql://root:hunter2@db/x' }, /STOWAGE_DATABASE_URL/],
      [{ STOWAGE_DATABASE_SCHEMA: 'Robert"; drop' }, /STOWAGE_DATABASE_SCHEMA/],
      [{ STOWAGE_STORAGE: 'ftp' }, /STOWAGE_STORAGE/],
      [{ STOWAGE_STORAGE: 's3' }, /STOWAGE_S3_BUCKET: required/],
      [{ STOWAGE_S3_ENDPOINT: 'minio:9000' }, /STOWAGE_S3_ENDPOINT/],
      [{ STOWAGE_S3_PREFIX: '/abs' }, /STOWAGE_S3_PREFIX/],
      [{ STOWAGE_S3_CHECKSUMS: 'never' }, /STOWAGE_S3_CHECKSUMS/],
      [{ STOWAGE_REDIS_URL: 'http://cache' }, /STOWAGE_REDIS_URL/],
    ];
    for (const [env, re] of bad) {
      let message = '';
      try {
        loadConfig({}, env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message).toMatch(re);
      expect(message).not.toContain('hunter2');
    }
  });
});

describe('URL uploads, Chevereto and expiry settings', () => {
  it('defaults: URL uploads off, no guest key, images only, a sweep a minute', () => {
    const c = loadConfig({}, {});
    expect(c.urlUploads).toBe(false);
    expect(c.urlUploadsAllow).toEqual([]);
    expect(c.urlUploadsTimeoutMs).toBe(30_000);
    expect(c.cheveretoGuestKey).toBeNull();
    expect(c.cheveretoAnyFile).toBe(false);
    expect(c.expirySweepMs).toBe(60_000);
  });

  it('reads them from the environment', () => {
    const c = loadConfig(
      {},
      {
        STOWAGE_URL_UPLOADS: 'true',
        STOWAGE_URL_UPLOADS_ALLOW: ' 10.0.0.0/8, images.lan ,::1,[fd00::]/8',
        STOWAGE_URL_UPLOADS_TIMEOUT_MS: '5000',
        STOWAGE_CHEVERETO_GUEST_KEY: 'a-long-enough-guest-key',
        STOWAGE_CHEVERETO_ANY_FILE: '1',
        STOWAGE_EXPIRY_SWEEP_MS: '0',
      },
    );
    expect(c).toMatchObject({
      urlUploads: true,
      urlUploadsAllow: ['10.0.0.0/8', 'images.lan', '::1', '[fd00::]/8'],
      urlUploadsTimeoutMs: 5000,
      cheveretoGuestKey: 'a-long-enough-guest-key',
      cheveretoAnyFile: true,
      expirySweepMs: 0,
    });
  });

  it('names the setting of an invalid value', () => {
    expect(configError(() => loadConfig({}, { STOWAGE_URL_UPLOADS_ALLOW: 'a b' })).setting).toBe(
      'STOWAGE_URL_UPLOADS_ALLOW',
    );
    expect(
      configError(() => loadConfig({}, { STOWAGE_CHEVERETO_GUEST_KEY: 'short' })).setting,
    ).toBe('STOWAGE_CHEVERETO_GUEST_KEY');
    expect(configError(() => loadConfig({}, { STOWAGE_URL_UPLOADS: 'maybe' })).setting).toBe(
      'STOWAGE_URL_UPLOADS',
    );
  });
});

describe('web and proxy settings', () => {
  it('defaults: trust no proxy, the site is called Stowage, the UI in dist/web', () => {
    const c = loadConfig({}, {});
    expect(c.trustProxy).toBe(false);
    expect(c.siteName).toBe('Stowage');
    expect(c.webDir.endsWith(`${path.sep}dist${path.sep}web`)).toBe(true);
  });

  it.each([
    ['true', true],
    ['off', false],
    ['2', 2],
    ['0', false],
    ['127.0.0.1', ['127.0.0.1']],
    [' 10.0.0.0/8, ::1 ,fd00::/8', ['10.0.0.0/8', '::1', 'fd00::/8']],
  ])('STOWAGE_TRUST_PROXY=%j is %j', (raw, expected) => {
    expect(loadConfig({}, { STOWAGE_TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it.each(['proxy.lan', '10.0.0.0/33', '1.2.3.4/8/9', ',', '::1/129'])(
    'refuses STOWAGE_TRUST_PROXY=%j, naming the setting',
    (raw) => {
      expect(() => loadConfig({}, { STOWAGE_TRUST_PROXY: raw })).toThrow(/STOWAGE_TRUST_PROXY/);
    },
  );

  it('refuses an empty or overlong site name', () => {
    expect(() => loadConfig({}, { STOWAGE_SITE_NAME: 'x'.repeat(65) })).toThrow(
      /STOWAGE_SITE_NAME/,
    );
    expect(loadConfig({}, { STOWAGE_SITE_NAME: ' My files ' }).siteName).toBe('My files');
  });
});

describe('timeouts and connection caps', () => {
  it('defaults: silence-based timeouts, caps per process and per address', () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({
      headersTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
      idleTimeoutMs: 60_000,
      maxConnectionsPerIp: 128,
    });
    expect(c.maxConnections).toBeGreaterThanOrEqual(64);
    expect(c.maxConnections).toBeLessThanOrEqual(4096);
  });

  it('reads them from the environment; 0 turns a cap off', () => {
    const c = loadConfig(
      {},
      {
        STOWAGE_HEADERS_TIMEOUT_MS: '5000',
        STOWAGE_KEEP_ALIVE_TIMEOUT_MS: '10000',
        STOWAGE_IDLE_TIMEOUT_MS: '120000',
        STOWAGE_MAX_CONNECTIONS: '0',
        STOWAGE_MAX_CONNECTIONS_PER_IP: '16',
      },
    );
    expect(c).toMatchObject({
      headersTimeoutMs: 5000,
      keepAliveTimeoutMs: 10_000,
      idleTimeoutMs: 120_000,
      maxConnections: 0,
      maxConnectionsPerIp: 16,
    });
  });

  it('behind a trusted proxy the per-address cap is off unless set', () => {
    expect(loadConfig({}, { STOWAGE_TRUST_PROXY: '1' }).maxConnectionsPerIp).toBe(0);
    const set = { STOWAGE_TRUST_PROXY: '1', STOWAGE_MAX_CONNECTIONS_PER_IP: '500' };
    expect(loadConfig({}, set).maxConnectionsPerIp).toBe(500);
  });

  it.each([
    ['STOWAGE_HEADERS_TIMEOUT_MS', '0'],
    ['STOWAGE_IDLE_TIMEOUT_MS', '10'],
    ['STOWAGE_KEEP_ALIVE_TIMEOUT_MS', 'soon'],
    ['STOWAGE_MAX_CONNECTIONS', '-1'],
    ['STOWAGE_MAX_CONNECTIONS_PER_IP', '1.5'],
  ])('refuses %s=%j, naming the setting', (setting, raw) => {
    expect(configError(() => loadConfig({}, { [setting]: raw })).setting).toBe(setting);
  });
});
