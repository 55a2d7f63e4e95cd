import { ConfigError, parseBool, parseInteger, parseSize, type Picker } from './config-values.js';

/**
 * The traffic settings (issue 14): time series, the file_stats websocket, the download rules
 * (hotlink rule, captcha, per-IP limits) and Prometheus metrics. Part of `Config`.
 */
export interface TrafficConfig {
  // Traffic time series (issue 14).
  /** Minute buckets are rolled up into hours after this many days. */
  seriesMinuteDays: number;
  /** Hour buckets are rolled up into days after this many days. */
  seriesHourDays: number;
  /** How often the rollup runs, in ms (0 = never). */
  seriesRollupMs: number;
  /** How often the file_stats websocket's subscribed counters are read again, in ms. */
  statsPollMs: number;
  /** Open file_stats websockets per client address. */
  statsSocketsPerIp: number;
  /** Subscriptions (files) per file_stats websocket. */
  statsMaxSubscriptions: number;
  // Download rules (issue 14): the hotlink rule, the captcha, per-IP limits.
  /** A file whose downloads exceed this many times its views needs a captcha (0 = rule off). */
  hotlinkFactor: number;
  /** ...and only once it has at least this many downloads. */
  hotlinkMinDownloads: number;
  /** The self-hosted captcha (ALTCHA proof-of-work); off: rule refusals cannot be lifted. */
  captcha: boolean;
  /** HMAC key signing captcha challenges; null = generated once and kept in the database. */
  captchaHmacKey: string | null;
  /** Proof-of-work size: the largest counter a solver may have to try (ALTCHA maxnumber). */
  captchaDifficulty: number;
  /** Downloads per client IP per 24 h (0 = unlimited). */
  ipDownloadLimit: number;
  /** Bytes per client IP per 24 h (0 = unlimited). */
  ipTransferLimit: number;
  /** Past a per-IP limit: ask for a captcha (403), or slow the download down. */
  ipLimitAction: 'captcha' | 'slow';
  /** Bytes per second for a slowed client. */
  ipSpeedLimit: number;
  /** Prometheus metrics at GET /metrics. Off by default. */
  metrics: boolean;
  /** Serve /metrics on this port (same host) instead of the main one; null = the main port. */
  metricsPort: number | null;
  /** Bearer token a scrape must present (Authorization: Bearer …); null = none. */
  metricsToken: string | null;
}

export const TRAFFIC_ENV: Record<keyof TrafficConfig, string> = {
  seriesMinuteDays: 'STOWAGE_SERIES_MINUTE_DAYS',
  seriesHourDays: 'STOWAGE_SERIES_HOUR_DAYS',
  seriesRollupMs: 'STOWAGE_SERIES_ROLLUP_MS',
  statsPollMs: 'STOWAGE_STATS_POLL_MS',
  statsSocketsPerIp: 'STOWAGE_STATS_SOCKETS_PER_IP',
  statsMaxSubscriptions: 'STOWAGE_STATS_MAX_SUBSCRIPTIONS',
  hotlinkFactor: 'STOWAGE_HOTLINK_FACTOR',
  hotlinkMinDownloads: 'STOWAGE_HOTLINK_MIN_DOWNLOADS',
  captcha: 'STOWAGE_CAPTCHA',
  captchaHmacKey: 'STOWAGE_CAPTCHA_HMAC_KEY',
  captchaDifficulty: 'STOWAGE_CAPTCHA_DIFFICULTY',
  ipDownloadLimit: 'STOWAGE_IP_DOWNLOAD_LIMIT',
  ipTransferLimit: 'STOWAGE_IP_TRANSFER_LIMIT',
  ipLimitAction: 'STOWAGE_IP_LIMIT_ACTION',
  ipSpeedLimit: 'STOWAGE_IP_SPEED_LIMIT',
  metrics: 'STOWAGE_METRICS',
  metricsPort: 'STOWAGE_METRICS_PORT',
  metricsToken: 'STOWAGE_METRICS_TOKEN',
};

export const TRAFFIC_DEFAULTS: TrafficConfig = {
  seriesMinuteDays: 2,
  seriesHourDays: 60,
  seriesRollupMs: 600_000,
  statsPollMs: 1000,
  statsSocketsPerIp: 8,
  statsMaxSubscriptions: 32,
  hotlinkFactor: 3,
  hotlinkMinDownloads: 10,
  captcha: true,
  captchaHmacKey: null,
  captchaDifficulty: 50_000,
  ipDownloadLimit: 0,
  ipTransferLimit: 0,
  ipLimitAction: 'captcha',
  ipSpeedLimit: 1024 * 1024,
  metrics: false,
  metricsPort: null,
  metricsToken: null,
};

/** Reads the traffic settings into `c` (`mainPort`: the metrics port must differ from it). */
export function loadTrafficConfig(
  c: TrafficConfig,
  pick: Picker<keyof TrafficConfig>,
  mainPort: number,
): void {
  readRuleSettings(c, pick);
  loadSeries(c, pick);
  loadLiveStats(c, pick);
  loadMetrics(c, pick, mainPort);
}

/** The download rules' settings (hotlink rule, captcha, per-IP limits). */
function readRuleSettings(c: TrafficConfig, pick: Picker<keyof TrafficConfig>): void {
  const ints: Array<[keyof TrafficConfig, number, number]> = [
    ['hotlinkFactor', 0, 1_000_000],
    ['hotlinkMinDownloads', 0, 1_000_000_000],
    ['captchaDifficulty', 100, 100_000_000],
    ['ipDownloadLimit', 0, 1_000_000_000],
  ];
  for (const [key, min, max] of ints) {
    const given = pick(key);
    if (given) {
      (c[key] as number) = parseInteger(given.setting, given.value as string | number, min, max);
    }
  }
  const captcha = pick('captcha');
  if (captcha) c.captcha = parseBool(captcha.setting, captcha.value as string | boolean);
  const hmac = pick('captchaHmacKey');
  if (hmac) {
    const v = String(hmac.value).trim();
    if (v.length < 16 || v.length > 512 || /\s/.test(v)) {
      throw new ConfigError(hmac.setting, 'expected a key of 16 to 512 characters without spaces');
    }
    c.captchaHmacKey = v;
  }
  for (const key of ['ipTransferLimit', 'ipSpeedLimit'] as const) {
    const given = pick(key);
    if (!given) continue;
    const zero = String(given.value).trim() === '0';
    if (zero && key === 'ipSpeedLimit') throw new ConfigError(given.setting, 'must be above 0');
    c[key] = zero ? 0 : parseSize(given.setting, given.value as string | number);
  }
  const action = pick('ipLimitAction');
  if (action) {
    const a = String(action.value).trim().toLowerCase();
    if (a !== 'captcha' && a !== 'slow') {
      throw new ConfigError(action.setting, `expected captcha or slow, got "${a}"`);
    }
    c.ipLimitAction = a;
  }
}

/** Traffic time series: when buckets roll up, how often. */
function loadSeries(c: TrafficConfig, pick: Picker<keyof TrafficConfig>): void {
  const minute = pick('seriesMinuteDays');
  if (minute) {
    c.seriesMinuteDays = parseInteger(minute.setting, minute.value as string | number, 1, 3650);
  }
  const hour = pick('seriesHourDays');
  if (hour) c.seriesHourDays = parseInteger(hour.setting, hour.value as string | number, 1, 36500);
  if (c.seriesHourDays < c.seriesMinuteDays) {
    throw new ConfigError(
      TRAFFIC_ENV.seriesHourDays,
      'must not be less than STOWAGE_SERIES_MINUTE_DAYS',
    );
  }
  const every = pick('seriesRollupMs');
  if (every) {
    c.seriesRollupMs = parseInteger(every.setting, every.value as string | number, 0, 86_400_000);
  }
}

/** The file_stats websocket (live counters, views). */
function loadLiveStats(c: TrafficConfig, pick: Picker<keyof TrafficConfig>): void {
  const limits: Array<[keyof TrafficConfig, number, number]> = [
    ['statsPollMs', 100, 3_600_000],
    ['statsSocketsPerIp', 1, 10_000],
    ['statsMaxSubscriptions', 1, 10_000],
  ];
  for (const [key, min, max] of limits) {
    const given = pick(key);
    if (given) {
      (c[key] as number) = parseInteger(given.setting, given.value as string | number, min, max);
    }
  }
}

/** Prometheus metrics: on/off, a port of their own, a bearer token. */
function loadMetrics(c: TrafficConfig, pick: Picker<keyof TrafficConfig>, mainPort: number): void {
  const on = pick('metrics');
  if (on) c.metrics = parseBool(on.setting, on.value as string | boolean);
  const port = pick('metricsPort');
  if (port) {
    c.metricsPort = parseInteger(port.setting, port.value as string | number, 0, 65535);
    if (c.metricsPort !== 0 && c.metricsPort === mainPort) {
      throw new ConfigError(port.setting, 'must differ from the main port');
    }
  }
  const token = pick('metricsToken');
  if (token) {
    const v = String(token.value).trim();
    if (v.length < 16 || v.length > 256 || !/^[\x21-\x7e]+$/.test(v)) {
      throw new ConfigError(
        token.setting,
        'expected 16 to 256 printable characters without spaces',
      );
    }
    c.metricsToken = v;
  }
}
