import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ConfigError, parseBool, parseInteger, parseSize, type Picker } from './config-values.js';
import {
  loadTrafficConfig,
  TRAFFIC_DEFAULTS,
  TRAFFIC_ENV,
  type TrafficConfig,
} from './config-traffic.js';
import {
  loadScaleOutConfig,
  SCALEOUT_DEFAULTS,
  SCALEOUT_ENV,
  type ScaleOutConfig,
} from './config-scaleout.js';
import { loadScanConfig, SCAN_DEFAULTS, SCAN_ENV, type ScanConfig } from './config-scan.js';
import {
  loadModerationConfig,
  MODERATION_DEFAULTS,
  MODERATION_ENV,
  type ModerationConfig,
} from './config-moderation.js';
import {
  LIMITS_DEFAULTS,
  LIMITS_ENV,
  loadLimitsConfig,
  type LimitsConfig,
} from './config-limits.js';
import { loadTusConfig, TUS_DEFAULTS, TUS_ENV, type TusConfig } from './config-tus.js';
import type { ConfigFileValues } from './config-file.js';
import { loadLogConfig, LOG_DEFAULTS, LOG_ENV, type LogConfig } from './config-logs.js';

export { ConfigError, parseSize };
export type {
  ScaleOutConfig,
  TrafficConfig,
  ScanConfig,
  LimitsConfig,
  ModerationConfig,
  TusConfig,
  LogConfig,
};

/** The whole runtime configuration, in one typed object passed down explicitly. */
export interface Config
  extends
    ScaleOutConfig,
    TrafficConfig,
    ScanConfig,
    LimitsConfig,
    ModerationConfig,
    TusConfig,
    LogConfig {
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
  /**
   * Who may create an account through the API (the CLI always can): anyone, nobody, or whoever
   * has an invite code from an admin.
   */
  registration: 'open' | 'closed' | 'invite';
  /**
   * Password checks (logins on every API, FileBin keys made with a password, password changes)
   * allowed per client IP and minute; registrations are counted apart with the same limit, and
   * one account takes 5 times this from all addresses together.
   */
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
  /** Fetch uploads from URLs (Chevereto `source=https://…`). Off by default. */
  urlUploads: boolean;
  /** Hosts or CIDRs URL uploads may reach although private (e.g. 10.0.0.0/8, files.lan). */
  urlUploadsAllow: string[];
  /** Time limit of one URL fetch, from DNS lookup to last byte, in ms. */
  urlUploadsTimeoutMs: number;
  /** A shared Chevereto API key for tools without an account; uploads with it are anonymous. */
  cheveretoGuestKey: string | null;
  /** Accept any file on /api/1/upload, not only images and videos (Chevereto's rule). */
  cheveretoAnyFile: boolean;
  /** How often expired files are deleted, in ms (0 = never; they are still not served). */
  expirySweepMs: number;
  /** The instance's name in page titles, headers and link previews. */
  siteName: string;
  /** The built web UI (dist/web: client assets and the server renderer). */
  webDir: string;
  /**
   * Which peers' X-Forwarded-For/-Proto/-Host to believe (behind a reverse proxy): false = none,
   * true = any, a number = that many proxy hops, or a list of addresses/CIDRs.
   */
  trustProxy: boolean | number | string[];
  /** Time to receive a request's headers, in ms. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, in ms. */
  keepAliveTimeoutMs: number;
  /** Silence (no byte) while the client should send or read closes its connection, in ms. */
  idleTimeoutMs: number;
  /** Open connections per process (0 = unlimited). */
  maxConnections: number;
  /** Open connections per client address (0 = unlimited; default off behind a trusted proxy). */
  maxConnectionsPerIp: number;
}

/** Values as given by the CLI or tests; strings are parsed the same way as environment variables. */
export type ConfigInput = Partial<
  Record<keyof Config, string | number | boolean | null | undefined>
>;

const ENV: Record<keyof Config, string> = {
  ...TRAFFIC_ENV,
  ...SCAN_ENV,
  ...LIMITS_ENV,
  ...MODERATION_ENV,
  ...TUS_ENV,
  ...LOG_ENV,
  host: 'STOWAGE_HOST',
  port: 'STOWAGE_PORT',
  dataDir: 'STOWAGE_DATA_DIR',
  publicUrl: 'STOWAGE_PUBLIC_URL',
  maxFileSize: 'STOWAGE_MAX_FILE_SIZE',
  allowAnonymousUploads: 'STOWAGE_ALLOW_ANONYMOUS_UPLOADS',
  workers: 'STOWAGE_WORKERS',
  registration: 'STOWAGE_REGISTRATION',
  authRateLimit: 'STOWAGE_AUTH_RATE_LIMIT',
  mediaConcurrency: 'STOWAGE_MEDIA_CONCURRENCY',
  mediaMaxPixels: 'STOWAGE_MEDIA_MAX_PIXELS',
  mediaTimeoutMs: 'STOWAGE_MEDIA_TIMEOUT_MS',
  cheveretoThumbSize: 'STOWAGE_CHEVERETO_THUMB_SIZE',
  cheveretoMediumWidth: 'STOWAGE_CHEVERETO_MEDIUM_WIDTH',
  ...SCALEOUT_ENV,
  urlUploads: 'STOWAGE_URL_UPLOADS',
  urlUploadsAllow: 'STOWAGE_URL_UPLOADS_ALLOW',
  urlUploadsTimeoutMs: 'STOWAGE_URL_UPLOADS_TIMEOUT_MS',
  cheveretoGuestKey: 'STOWAGE_CHEVERETO_GUEST_KEY',
  cheveretoAnyFile: 'STOWAGE_CHEVERETO_ANY_FILE',
  expirySweepMs: 'STOWAGE_EXPIRY_SWEEP_MS',
  siteName: 'STOWAGE_SITE_NAME',
  webDir: 'STOWAGE_WEB_DIR',
  trustProxy: 'STOWAGE_TRUST_PROXY',
  headersTimeoutMs: 'STOWAGE_HEADERS_TIMEOUT_MS',
  keepAliveTimeoutMs: 'STOWAGE_KEEP_ALIVE_TIMEOUT_MS',
  idleTimeoutMs: 'STOWAGE_IDLE_TIMEOUT_MS',
  maxConnections: 'STOWAGE_MAX_CONNECTIONS',
  maxConnectionsPerIp: 'STOWAGE_MAX_CONNECTIONS_PER_IP',
};

/** Every STOWAGE_* variable the server reads (a configuration file may set only these). */
export const CONFIG_ENV_NAMES: ReadonlySet<string> = new Set(Object.values(ENV));

export const DEFAULTS: Config = {
  ...TRAFFIC_DEFAULTS,
  ...SCAN_DEFAULTS,
  ...LIMITS_DEFAULTS,
  ...MODERATION_DEFAULTS,
  ...TUS_DEFAULTS,
  ...LOG_DEFAULTS,
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  publicUrl: null,
  maxFileSize: 10 * 1000 ** 3,
  allowAnonymousUploads: true,
  workers: 1,
  registration: 'open',
  authRateLimit: 10,
  mediaConcurrency: os.availableParallelism(),
  mediaMaxPixels: 100_000_000,
  mediaTimeoutMs: 30_000,
  cheveretoThumbSize: 160,
  cheveretoMediumWidth: 500,
  ...SCALEOUT_DEFAULTS,
  urlUploads: false,
  urlUploadsAllow: [],
  urlUploadsTimeoutMs: 30_000,
  cheveretoGuestKey: null,
  cheveretoAnyFile: false,
  expirySweepMs: 60_000,
  siteName: 'Stowage',
  trustProxy: false,
  headersTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  idleTimeoutMs: 60_000,
  maxConnections: defaultMaxConnections(),
  maxConnectionsPerIp: 128,
  webDir: path.join(packageRoot(), 'dist', 'web'),
};

/**
 * Room for sockets under this process's open-file limit (Node raises the soft limit to the hard
 * one at start), leaving 256 descriptors for files, the database and clients; 4096 at most.
 */
function defaultMaxConnections(): number {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft && /^\d+$/.test(soft)) return Math.max(64, Math.min(4096, Number(soft) - 256));
  } catch {
    // not Linux: keep the fixed default
  }
  return 1024;
}

/** The folder holding package.json, from src/ (tsx, tests) or dist/src/ (built). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** `true`/`false`, a hop count, or a comma-separated list of addresses and CIDRs. */
function parseTrustProxy(setting: string, raw: unknown): boolean | number | string[] {
  if (typeof raw === 'boolean') return raw;
  const v = String(raw).trim();
  if (/^(true|false|yes|no|on|off)$/i.test(v)) return parseBool(setting, v);
  if (/^\d{1,2}$/.test(v)) return Number(v) === 0 ? false : Number(v);
  const list = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const item of list) {
    const [addr, bits, extra] = item.split('/');
    const ok =
      extra === undefined &&
      addr !== undefined &&
      net.isIP(addr) !== 0 &&
      (bits === undefined ||
        (/^\d{1,3}$/.test(bits) && Number(bits) <= (net.isIPv4(addr) ? 32 : 128)));
    if (!ok) {
      throw new ConfigError(
        setting,
        `expected true, false, a hop count or addresses/CIDRs separated by commas; got "${item}"`,
      );
    }
  }
  if (list.length === 0) throw new ConfigError(setting, 'must not be empty');
  return list;
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
 * which win over the configuration file's (src/config-file.ts), which win over defaults. Throws
 * ConfigError naming the first invalid setting (and, for the file's, its file and line).
 * `stdoutIsTty` chooses the default log format (pretty on a terminal, JSON otherwise).
 */
export function loadConfig(
  input: ConfigInput = {},
  env: NodeJS.ProcessEnv = process.env,
  file: ConfigFileValues | null = null,
  stdoutIsTty: boolean = process.stdout.isTTY === true,
): Config {
  const pick = (k: keyof Config): { setting: string; value: string | number | boolean } | null => {
    const given = input[k];
    if (given !== undefined && given !== null) return { setting: `--${kebab(k)}`, value: given };
    const fromEnv = env[ENV[k]];
    if (fromEnv !== undefined && fromEnv !== '') return { setting: ENV[k], value: fromEnv };
    const fromFile = file?.values[ENV[k]];
    if (fromFile !== undefined && fromFile !== '')
      return { setting: `${ENV[k]} (${file!.where[ENV[k]]})`, value: fromFile };
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
  const registration = pick('registration');
  if (registration) {
    const r = String(registration.value).trim().toLowerCase();
    if (r !== 'open' && r !== 'closed' && r !== 'invite') {
      throw new ConfigError(registration.setting, `expected open, closed or invite, got "${r}"`);
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
  const siteName = pick('siteName');
  if (siteName) {
    const n = String(siteName.value).trim();
    if (!n || n.length > 64) throw new ConfigError(siteName.setting, 'must be 1 to 64 characters');
    c.siteName = n;
  }
  const webDir = pick('webDir');
  if (webDir) c.webDir = path.resolve(String(webDir.value));
  const trust = pick('trustProxy');
  if (trust) c.trustProxy = parseTrustProxy(trust.setting, trust.value);
  loadConnections(c, pick);
  loadScaleOutConfig(c, pick);
  loadChevereto(c, pick);
  loadTrafficConfig(c, pick, c.port);
  loadScanConfig(c, pick);
  loadLimitsConfig(c, pick);
  loadModerationConfig(c, pick);
  loadTusConfig(c, pick);
  loadLogConfig(c, pick, stdoutIsTty);
  return c;
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase());
}

type Pick = Picker<keyof Config>;

/** Timeouts and connection caps of the HTTP server. */
function loadConnections(c: Config, pick: Pick): void {
  const limits: Array<[keyof Config, number, number]> = [
    ['headersTimeoutMs', 1000, 3_600_000],
    ['keepAliveTimeoutMs', 1000, 3_600_000],
    ['idleTimeoutMs', 1000, 3_600_000],
    ['maxConnections', 0, 1_000_000],
    ['maxConnectionsPerIp', 0, 1_000_000],
  ];
  for (const [key, min, max] of limits) {
    const given = pick(key);
    if (given) {
      (c[key] as number) = parseInteger(given.setting, given.value as string | number, min, max);
    } else if (key === 'maxConnectionsPerIp' && c.trustProxy !== false) {
      // Behind a reverse proxy every connection comes from the proxy's address.
      c.maxConnectionsPerIp = 0;
    }
  }
}

/** A host name, an IP address or a CIDR block (the URL upload allow-list). */
const ALLOW_ENTRY =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9.]+(?:\/\d{1,2})?|\[?[0-9A-Fa-f:.]+\]?(?:\/\d{1,3})?)$/;

/** URL uploads, the Chevereto dialect's options and the expiry sweep. */
function loadChevereto(c: Config, pick: Pick): void {
  const urls = pick('urlUploads');
  if (urls) c.urlUploads = parseBool(urls.setting, urls.value as string | boolean);
  const allow = pick('urlUploadsAllow');
  if (allow) {
    const entries = String(allow.value)
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    for (const e of entries) {
      if (!ALLOW_ENTRY.test(e)) {
        throw new ConfigError(
          allow.setting,
          `expected comma-separated host names, addresses or CIDRs (10.0.0.0/8), got "${e}"`,
        );
      }
    }
    c.urlUploadsAllow = entries;
  }
  const timeout = pick('urlUploadsTimeoutMs');
  if (timeout) {
    c.urlUploadsTimeoutMs = parseInteger(
      timeout.setting,
      timeout.value as string | number,
      100,
      3_600_000,
    );
  }
  const guest = pick('cheveretoGuestKey');
  if (guest) {
    const v = String(guest.value).trim();
    if (v.length < 16 || v.length > 256 || /\s/.test(v)) {
      throw new ConfigError(guest.setting, 'expected a key of 16 to 256 characters without spaces');
    }
    c.cheveretoGuestKey = v;
  }
  const any = pick('cheveretoAnyFile');
  if (any) c.cheveretoAnyFile = parseBool(any.setting, any.value as string | boolean);
  const sweep = pick('expirySweepMs');
  if (sweep) {
    c.expirySweepMs = parseInteger(sweep.setting, sweep.value as string | number, 0, 86_400_000);
  }
}
