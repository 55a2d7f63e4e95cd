import { ConfigError, parseBool, parseInteger, type Picker } from './config-values.js';

/** PostgreSQL, S3 and Redis: the settings of the scale-out stack (all optional). */
export interface ScaleOutConfig {
  /** PostgreSQL connection URL; null = the embedded SQLite database in dataDir. */
  databaseUrl: string | null;
  /** PostgreSQL schema to use (created if missing); null = the server's default search path. */
  databaseSchema: string | null;
  /** PostgreSQL connections per process. */
  databasePoolSize: number;
  /** Where file bytes live: the local data dir, or an S3-compatible bucket. */
  storage: 'fs' | 's3';
  s3Bucket: string | null;
  s3Region: string;
  /** Endpoint of a non-AWS store (MinIO, Ceph, R2, Garage...); null = AWS. */
  s3Endpoint: string | null;
  s3ForcePathStyle: boolean;
  /** Object key prefix inside the bucket (e.g. "stowage/"). */
  s3Prefix: string;
  /** Downloads answer with a redirect to a presigned URL instead of passing the bytes through. */
  s3Redirect: boolean;
  /** SDK request checksums: AWS's default, or only where required (older S3-compatible stores). */
  s3Checksums: 'when_supported' | 'when_required';
  /** Redis URL for state shared between nodes (rate limits, de-duplication); null = in-process. */
  redisUrl: string | null;
}

export const SCALEOUT_ENV: Record<keyof ScaleOutConfig, string> = {
  databaseUrl: 'STOWAGE_DATABASE_URL',
  databaseSchema: 'STOWAGE_DATABASE_SCHEMA',
  databasePoolSize: 'STOWAGE_DATABASE_POOL_SIZE',
  storage: 'STOWAGE_STORAGE',
  s3Bucket: 'STOWAGE_S3_BUCKET',
  s3Region: 'STOWAGE_S3_REGION',
  s3Endpoint: 'STOWAGE_S3_ENDPOINT',
  s3ForcePathStyle: 'STOWAGE_S3_FORCE_PATH_STYLE',
  s3Prefix: 'STOWAGE_S3_PREFIX',
  s3Redirect: 'STOWAGE_S3_REDIRECT',
  s3Checksums: 'STOWAGE_S3_CHECKSUMS',
  redisUrl: 'STOWAGE_REDIS_URL',
};

export const SCALEOUT_DEFAULTS: ScaleOutConfig = {
  databaseUrl: null,
  databaseSchema: null,
  databasePoolSize: 10,
  storage: 'fs',
  s3Bucket: null,
  s3Region: 'us-east-1',
  s3Endpoint: null,
  s3ForcePathStyle: false,
  s3Prefix: '',
  s3Redirect: false,
  s3Checksums: 'when_supported',
  redisUrl: null,
};

/** PostgreSQL, S3 and Redis: the scale-out stack (all optional; the embedded defaults stay). */
export function loadScaleOutConfig(c: ScaleOutConfig, pick: Picker<keyof ScaleOutConfig>): void {
  const db = pick('databaseUrl');
  if (db) c.databaseUrl = parseUrl(db.setting, String(db.value), ['postgres:', 'postgresql:']);
  const schema = pick('databaseSchema');
  if (schema) {
    const v = String(schema.value);
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v)) {
      throw new ConfigError(schema.setting, `expected a lower-case SQL identifier, got "${v}"`);
    }
    c.databaseSchema = v;
  }
  const pool = pick('databasePoolSize');
  if (pool) c.databasePoolSize = parseInteger(pool.setting, pool.value as string | number, 1, 1000);
  const storage = pick('storage');
  if (storage) c.storage = oneOf(storage.setting, String(storage.value), ['fs', 's3'] as const);
  const bucket = pick('s3Bucket');
  if (bucket) c.s3Bucket = String(bucket.value).trim() || null;
  const region = pick('s3Region');
  if (region) c.s3Region = String(region.value).trim();
  const endpoint = pick('s3Endpoint');
  if (endpoint)
    c.s3Endpoint = parseUrl(endpoint.setting, String(endpoint.value), ['http:', 'https:']);
  const pathStyle = pick('s3ForcePathStyle');
  if (pathStyle)
    c.s3ForcePathStyle = parseBool(pathStyle.setting, pathStyle.value as string | boolean);
  const prefix = pick('s3Prefix');
  if (prefix) {
    const v = String(prefix.value);
    if (!/^[A-Za-z0-9._/-]{0,200}$/.test(v) || v.startsWith('/')) {
      throw new ConfigError(prefix.setting, `expected a key prefix such as "stowage/", got "${v}"`);
    }
    c.s3Prefix = v;
  }
  const redirect = pick('s3Redirect');
  if (redirect) c.s3Redirect = parseBool(redirect.setting, redirect.value as string | boolean);
  const checksums = pick('s3Checksums');
  if (checksums) {
    c.s3Checksums = oneOf(checksums.setting, String(checksums.value), [
      'when_supported',
      'when_required',
    ] as const);
  }
  const redis = pick('redisUrl');
  if (redis) c.redisUrl = parseUrl(redis.setting, String(redis.value), ['redis:', 'rediss:']);
  if (c.storage === 's3' && !c.s3Bucket) {
    throw new ConfigError(SCALEOUT_ENV.s3Bucket, 'required when STOWAGE_STORAGE=s3');
  }
}

function parseUrl(setting: string, raw: string, protocols: string[]): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(
      setting,
      `expected a URL (${protocols.join(', ')}), got "${redact(raw)}"`,
    );
  }
  if (!protocols.includes(u.protocol)) {
    throw new ConfigError(
      setting,
      `expected a ${protocols.join(' or ')} URL, got "${redact(raw)}"`,
    );
  }
  return raw;
}

/** Never echo a password from a connection URL into logs. */
function redact(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

function oneOf<T extends string>(setting: string, raw: string, values: readonly T[]): T {
  const v = raw.trim().toLowerCase();
  if (!(values as readonly string[]).includes(v)) {
    throw new ConfigError(setting, `expected one of ${values.join(', ')}; got "${raw}"`);
  }
  return v as T;
}
