import { ConfigError, type Picker } from './config-values.js';

/** Logs: how much and in which shape (issue 19). Part of `Config`. */
export interface LogConfig {
  /** Pino log level, or 'silent'. */
  logLevel: string;
  /**
   * `pretty`: one human-readable line per entry (for a terminal); `json`: one JSON object per line
   * (for a collector). Default: pretty when stdout is a terminal, else json.
   */
  logFormat: 'pretty' | 'json';
}

export const LOG_ENV: Record<keyof LogConfig, string> = {
  logLevel: 'STOWAGE_LOG_LEVEL',
  logFormat: 'STOWAGE_LOG_FORMAT',
};

export const LOG_DEFAULTS: LogConfig = {
  logLevel: 'info',
  logFormat: 'json',
};

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadLogConfig(
  c: LogConfig,
  pick: Picker<keyof LogConfig>,
  stdoutIsTty: boolean,
): void {
  const level = pick('logLevel');
  if (level) {
    const l = String(level.value);
    if (!LEVELS.includes(l)) {
      throw new ConfigError(level.setting, `expected one of ${LEVELS.join(', ')}; got "${l}"`);
    }
    c.logLevel = l;
  }
  const format = pick('logFormat');
  if (format) {
    const f = String(format.value).trim().toLowerCase();
    if (f !== 'pretty' && f !== 'json') {
      throw new ConfigError(format.setting, `expected pretty or json; got "${f}"`);
    }
    c.logFormat = f;
  } else {
    c.logFormat = stdoutIsTty ? 'pretty' : 'json';
  }
}
