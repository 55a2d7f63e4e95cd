/** Parsing of configuration values; errors name the setting. */

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid configuration: ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

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

export function parseBool(setting: string, raw: string | boolean): boolean {
  if (typeof raw === 'boolean') return raw;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(setting, `expected true or false, got "${raw}"`);
}

export function parseInteger(
  setting: string,
  raw: string | number,
  min: number,
  max: number,
): number {
  const n = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(setting, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** Reads one setting: where it came from (for errors) and its raw value, or null when unset. */
export type Picker<K extends string> = (
  k: K,
) => { setting: string; value: string | number | boolean } | null;
