import { ConfigError, parseInteger, type Picker } from './config-values.js';

/** Where clamd listens: a unix socket or a TCP address. */
export type ClamdAddress = { unix: string } | { host: string; port: number };

/**
 * Virus scanning settings (issue 15): the clamd to ask, what an infected file's downloads get,
 * how many scans run at once and how the catch-up sweep paces itself. Part of `Config`.
 */
export interface ScanConfig {
  /** clamd's address (`unix:/run/clamav/clamd.ctl` or `tcp://host:3310`); null = scanning off. */
  clamav: ClamdAddress | null;
  /** Downloads of an infected file: a captcha for strangers (403), or 451 for all but owner/admins. */
  clamavAction: 'captcha' | 'block';
  /** Scans running at once in a process (background jobs; uploads never wait for them). */
  clamavConcurrency: number;
  /**
   * A scan with no progress (no bytes taken) for this long fails, in ms; once all is sent, clamd
   * has this plus a second per MB to answer.
   */
  clamavTimeoutMs: number;
  /** How often the catch-up sweep looks for blobs not scanned yet, in ms (0 = never). */
  clamavSweepMs: number;
  /** A scan that ended in `error` is tried again after this long, in ms. */
  clamavRetryMs: number;
}

export const SCAN_ENV: Record<keyof ScanConfig, string> = {
  clamav: 'STOWAGE_CLAMAV',
  clamavAction: 'STOWAGE_CLAMAV_ACTION',
  clamavConcurrency: 'STOWAGE_CLAMAV_CONCURRENCY',
  clamavTimeoutMs: 'STOWAGE_CLAMAV_TIMEOUT_MS',
  clamavSweepMs: 'STOWAGE_CLAMAV_SWEEP_MS',
  clamavRetryMs: 'STOWAGE_CLAMAV_RETRY_MS',
};

export const SCAN_DEFAULTS: ScanConfig = {
  clamav: null,
  clamavAction: 'captcha',
  clamavConcurrency: 2,
  clamavTimeoutMs: 60_000,
  clamavSweepMs: 60_000,
  clamavRetryMs: 3_600_000,
};

/** Reads the scanning settings into `c`. */
export function loadScanConfig(c: ScanConfig, pick: Picker<keyof ScanConfig>): void {
  const addr = pick('clamav');
  if (addr) c.clamav = parseClamdAddress(addr.setting, String(addr.value));
  const action = pick('clamavAction');
  if (action) {
    const a = String(action.value).trim().toLowerCase();
    if (a !== 'captcha' && a !== 'block') {
      throw new ConfigError(action.setting, `expected captcha or block, got "${a}"`);
    }
    c.clamavAction = a;
  }
  const ints: Array<[keyof ScanConfig, number, number]> = [
    ['clamavConcurrency', 1, 64],
    ['clamavTimeoutMs', 100, 3_600_000],
    ['clamavSweepMs', 0, 86_400_000],
    ['clamavRetryMs', 0, 30 * 86_400_000],
  ];
  for (const [key, min, max] of ints) {
    const given = pick(key);
    if (given) {
      (c[key] as number) = parseInteger(given.setting, given.value as string | number, min, max);
    }
  }
}

/** `unix:/path/clamd.ctl` (or a bare absolute path) or `tcp://host:port`. */
export function parseClamdAddress(setting: string, raw: string): ClamdAddress {
  const v = raw.trim();
  if (v.startsWith('unix:') || v.startsWith('/')) {
    const p = v.startsWith('unix:') ? v.slice(5).replace(/^\/\/(?=\/)/, '') : v;
    if (!p.startsWith('/')) throw new ConfigError(setting, 'expected an absolute socket path');
    return { unix: p };
  }
  if (v.startsWith('tcp://')) {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(setting, `expected tcp://host:port, got "${v}"`);
    }
    const port = u.port ? Number(u.port) : 3310;
    if (!u.hostname || u.pathname.replace(/\/$/, '') !== '') {
      throw new ConfigError(setting, `expected tcp://host:port, got "${v}"`);
    }
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  }
  throw new ConfigError(setting, `expected unix:/path/to/clamd.ctl or tcp://host:3310, got "${v}"`);
}
