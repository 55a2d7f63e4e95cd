import { ConfigError, parseInteger, parseSize, type Picker } from './config-values.js';

/** Resumable uploads (tus, issue 17). Part of `Config`. */
export interface TusConfig {
  /** An unfinished resumable upload is removed this long after its last write (ms). */
  tusExpiryMs: number;
  /** Unfinished resumable uploads one account (or one address, anonymous) may hold at once. */
  tusMaxPending: number;
  /** The web UI sends files larger than this through tus, smaller ones in one PUT (bytes). */
  tusWebThreshold: number;
  /** The web UI's tus PATCH size (bytes): proxies that cut long requests cost one chunk at most. */
  tusWebChunkSize: number;
}

export const TUS_ENV: Record<keyof TusConfig, string> = {
  tusExpiryMs: 'STOWAGE_TUS_EXPIRY',
  tusMaxPending: 'STOWAGE_TUS_MAX_PENDING',
  tusWebThreshold: 'STOWAGE_TUS_WEB_THRESHOLD',
  tusWebChunkSize: 'STOWAGE_TUS_WEB_CHUNK_SIZE',
};

export const TUS_DEFAULTS: TusConfig = {
  tusExpiryMs: 24 * 3_600_000,
  tusMaxPending: 10,
  tusWebThreshold: 64 * 1024 ** 2,
  tusWebChunkSize: 64 * 1024 ** 2,
};

/** The smallest web chunk: below it the per-request overhead dominates. */
const MIN_WEB_CHUNK = 64 * 1024;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration: `90s`, `30m`, `24h`, `7d`, or a plain number of seconds. At least one minute. */
export function parseDuration(setting: string, raw: string | number): number {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(String(raw));
  if (!m)
    throw new ConfigError(setting, `must be a duration such as 30m, 24h or 7d (got "${raw}")`);
  const unit = (m[2] || 's').toLowerCase() as keyof typeof UNIT_MS;
  const ms = Number(m[1]) * UNIT_MS[unit];
  if (ms < 60_000 || ms > 365 * UNIT_MS.d) {
    throw new ConfigError(setting, 'must be between 1 minute and 365 days');
  }
  return ms;
}

export function loadTusConfig(c: TusConfig, pick: Picker<keyof TusConfig>): void {
  const expiry = pick('tusExpiryMs');
  if (expiry) c.tusExpiryMs = parseDuration(expiry.setting, expiry.value as string | number);
  const pending = pick('tusMaxPending');
  if (pending) {
    c.tusMaxPending = parseInteger(pending.setting, pending.value as string | number, 1, 10_000);
  }
  const threshold = pick('tusWebThreshold');
  if (threshold) {
    c.tusWebThreshold = parseSize(threshold.setting, threshold.value as string | number);
  }
  const chunk = pick('tusWebChunkSize');
  if (chunk) {
    c.tusWebChunkSize = parseSize(chunk.setting, chunk.value as string | number);
    if (c.tusWebChunkSize < MIN_WEB_CHUNK) {
      throw new ConfigError(chunk.setting, 'must be at least 64KiB');
    }
  }
}
