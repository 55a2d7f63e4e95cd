import os from 'node:os';
import path from 'node:path';

/** The whole runtime configuration, in one typed object passed down explicitly. */
export interface Config {
  host: string;
  port: number;
  /** Root of the embedded storage: SQLite database, blobs, staging area. */
  dataDir: string;
  /** Origin used to build absolute links (e.g. https://files.example.org); null = derive from the request. */
  publicUrl: string | null;
  /** Largest accepted upload, in bytes. */
  maxFileSize: number;
  allowAnonymousUploads: boolean;
  /** Worker processes serving HTTP (1 = single process). */
  workers: number;
  /** Pino log level, or 'silent'. */
  logLevel: string;
  /** Whether anyone may create an account through the API (the CLI always can). */
  registration: 'open' | 'closed';
  /** Login and registration attempts allowed per client IP and minute. */
  authRateLimit: number;
  /** Media jobs (decodes, thumbnails, probes) running at once. */
  mediaConcurrency: number;
  /** Largest image (width × height) or video frame decoded; bigger ones get an icon. */
  mediaMaxPixels: number;
  /** Time limit of one media job (ffmpeg/ffprobe/pdftoppm are killed past it), in ms. */
  mediaTimeoutMs: number;
  /** Chevereto `thumb`: square side in pixels. */
  cheveretoThumbSize: number;
  /** Chevereto `medium`: width in pixels (only for wider originals). */
  cheveretoMediumWidth: number;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid configuration: ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Values as given by the CLI or tests; strings are parsed the same way as environment variables. */
export type ConfigInput = Partial<
  Record<keyof Config, string | number | boolean | null | undefined>
>;

const ENV: Record<keyof Config, string> = {
  host: 'STOWAGE_HOST',
  port: 'STOWAGE_PORT',
  dataDir: 'STOWAGE_DATA_DIR',
  publicUrl: 'STOWAGE_PUBLIC_URL',
  maxFileSize: 'STOWAGE_MAX_FILE_SIZE',
  allowAnonymousUploads: 'STOWAGE_ALLOW_ANONYMOUS_UPLOADS',
  workers: 'STOWAGE_WORKERS',
  logLevel: 'STOWAGE_LOG_LEVEL',
  registration: 'STOWAGE_REGISTRATION',
  authRateLimit: 'STOWAGE_AUTH_RATE_LIMIT',
  mediaConcurrency: 'STOWAGE_MEDIA_CONCURRENCY',
  mediaMaxPixels: 'STOWAGE_MEDIA_MAX_PIXELS',
  mediaTimeoutMs: 'STOWAGE_MEDIA_TIMEOUT_MS',
  cheveretoThumbSize: 'STOWAGE_CHEVERETO_THUMB_SIZE',
  cheveretoMediumWidth: 'STOWAGE_CHEVERETO_MEDIUM_WIDTH',
};

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  publicUrl: null,
  maxFileSize: 10 * 1000 ** 3,
  allowAnonymousUploads: true,
  workers: 1,
  logLevel: 'info',
  registration: 'open',
  authRateLimit: 10,
  mediaConcurrency: os.availableParallelism(),
  mediaMaxPixels: 100_000_000,
  mediaTimeoutMs: 30_000,
  cheveretoThumbSize: 160,
  cheveretoMediumWidth: 500,
};

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "10GB", "512MiB", "1048576" -> bytes. */
export function parseSize(setting: string, raw: string | number): number {
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw) && raw > 0) return raw;
    throw new ConfigError(setting, `expected a positive byte count, got ${raw}`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new ConfigError(setting, `expected a size such as 10GB or 512MiB, got "${raw}"`);
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new ConfigError(setting, `size out of range: "${raw}"`);
  }
  return bytes;
}

function parseBool(setting: string, raw: string | boolean): boolean {
  if (typeof raw === 'boolean') return raw;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(setting, `expected true or false, got "${raw}"`);
}

function parseInteger(setting: string, raw: string | number, min: number, max: number): number {
  const n = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(setting, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function parsePublicUrl(setting: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(setting, `expected an absolute http(s) URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(setting, `expected an http or https URL, got "${raw}"`);
  }
  return u.origin + u.pathname.replace(/\/+$/, '');
}

/**
 * Build the configuration: explicit values (CLI flags, tests) win over environment variables,
 * which win over defaults. Throws ConfigError naming the first invalid setting.
 */
export function loadConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (k: keyof Config): { setting: string; value: string | number | boolean } | null => {
    const given = input[k];
    if (given !== undefined && given !== null) return { setting: `--${kebab(k)}`, value: given };
    const fromEnv = env[ENV[k]];
    if (fromEnv !== undefined && fromEnv !== '') return { setting: ENV[k], value: fromEnv };
    return null;
  };
  const c: Config = { ...DEFAULTS };
  const host = pick('host');
  if (host) {
    const h = String(host.value).trim();
    if (!h) throw new ConfigError(host.setting, 'must not be empty');
    c.host = h;
  }
  const port = pick('port');
  if (port) c.port = parseInteger(port.setting, port.value as string | number, 0, 65535);
  const dataDir = pick('dataDir');
  if (dataDir) c.dataDir = String(dataDir.value);
  c.dataDir = path.resolve(c.dataDir);
  const publicUrl = pick('publicUrl');
  if (publicUrl) c.publicUrl = parsePublicUrl(publicUrl.setting, String(publicUrl.value));
  const max = pick('maxFileSize');
  if (max) c.maxFileSize = parseSize(max.setting, max.value as string | number);
  const anon = pick('allowAnonymousUploads');
  if (anon) c.allowAnonymousUploads = parseBool(anon.setting, anon.value as string | boolean);
  const workers = pick('workers');
  if (workers) c.workers = parseInteger(workers.setting, workers.value as string | number, 1, 64);
  const level = pick('logLevel');
  if (level) {
    const l = String(level.value);
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(l)) {
      throw new ConfigError(
        level.setting,
        `expected one of fatal, error, warn, info, debug, trace, silent; got "${l}"`,
      );
    }
    c.logLevel = l;
  }
  const registration = pick('registration');
  if (registration) {
    const r = String(registration.value).trim().toLowerCase();
    if (r !== 'open' && r !== 'closed') {
      throw new ConfigError(registration.setting, `expected open or closed, got "${r}"`);
    }
    c.registration = r;
  }
  const authRate = pick('authRateLimit');
  if (authRate) {
    c.authRateLimit = parseInteger(
      authRate.setting,
      authRate.value as string | number,
      1,
      1_000_000,
    );
  }
  const media: Array<[keyof Config, number, number]> = [
    ['mediaConcurrency', 1, 256],
    ['mediaMaxPixels', 1, 2 ** 40],
    ['mediaTimeoutMs', 100, 3_600_000],
    ['cheveretoThumbSize', 16, 1024],
    ['cheveretoMediumWidth', 16, 8192],
  ];
  for (const [key, min, max] of media) {
    const given = pick(key);
    if (given) {
      (c[key] as number) = parseInteger(given.setting, given.value as string | number, min, max);
    }
  }
  return c;
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase());
}
