import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './config-values.js';

/**
 * The instance's configuration file (issue 19): the same `STOWAGE_*` variables as the environment,
 * one `NAME=value` a line, read by `stowage serve` and by the admin commands alike, so that both
 * find the same data dir and database from any directory. (The client commands have their own
 * file, client.json: src/main/client/config.ts.)
 */

/** The variable (and `--config` flag) naming the file. */
export const CONFIG_FILE_ENV = 'STOWAGE_CONFIG';
/** The system-wide file, looked up last. */
export const ETC_CONFIG_FILE = '/etc/stowage/stowage.env';
/** Settings holding a path: a relative one in the file is relative to the file's folder. */
const PATH_SETTINGS = new Set(['STOWAGE_DATA_DIR', 'STOWAGE_WEB_DIR']);

/** The settings a file gave: values by variable name, and where each was (for error messages). */
export interface ConfigFileValues {
  file: string;
  values: Record<string, string>;
  /** `file:line` of each variable. */
  where: Record<string, string>;
  /** Variables other than `STOWAGE_*` (e.g. AWS_ACCESS_KEY_ID): for the process environment. */
  other: Record<string, string>;
}

/** `$XDG_CONFIG_HOME/stowage/stowage.env`, else `~/.config/stowage/stowage.env`. */
export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const home = env.HOME || os.homedir();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config');
  return path.join(base, 'stowage', 'stowage.env');
}

/**
 * Which file to read: `--config` or STOWAGE_CONFIG (it must exist), else the user's file, else
 * /etc/stowage/stowage.env, if they exist; null when there is none.
 */
export function findConfigFile(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  etcFile: string = ETC_CONFIG_FILE,
): string | null {
  const given = flag ?? (env[CONFIG_FILE_ENV] || undefined);
  if (given !== undefined) {
    const file = path.resolve(given);
    if (!fs.existsSync(file)) {
      const setting = flag !== undefined ? '--config' : CONFIG_FILE_ENV;
      throw new ConfigError(setting, `no configuration file ${file}`);
    }
    return file;
  }
  for (const file of [userConfigFile(env), etcFile]) if (fs.existsSync(file)) return file;
  return null;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parse env-file text: blank lines and `#` comments are skipped; `NAME=value`, optionally after
 * `export `, the value bare (trimmed), in single quotes (literal) or double quotes (`\"`, `\\`,
 * `\n`). The first malformed line throws a ConfigError naming `file:line`.
 */
export function parseEnvFile(
  text: string,
  file: string,
): Array<{ name: string; value: string; line: number }> {
  const out: Array<{ name: string; value: string; line: number }> = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const eq = line.indexOf('=');
    const name = (eq < 0 ? '' : line.slice(0, eq).trim()).replace(/^export\s+/, '');
    if (eq < 0 || !NAME.test(name)) {
      throw new ConfigError(where, `expected NAME=value, got "${short(line)}"`);
    }
    out.push({ name, value: unquote(line.slice(eq + 1).trim(), where), line: i + 1 });
  });
  return out;
}

function short(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function unquote(v: string, where: string): string {
  const q = v[0];
  if (q !== '"' && q !== "'") return v;
  if (v.length < 2 || v[v.length - 1] !== q) {
    throw new ConfigError(where, `unterminated quoted value: ${short(v)}`);
  }
  const inner = v.slice(1, -1);
  if (q === "'") {
    if (inner.includes("'")) throw new ConfigError(where, `stray quote in value: ${short(v)}`);
    return inner;
  }
  let s = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '"') throw new ConfigError(where, `unescaped quote in value: ${short(v)}`);
    if (c !== '\\') {
      s += c;
      continue;
    }
    const next = inner[++i];
    if (next === undefined) throw new ConfigError(where, `dangling backslash: ${short(v)}`);
    s += next === 'n' ? '\n' : next;
  }
  return s;
}

/**
 * Read a configuration file. `known` is the set of STOWAGE_* variables the server reads: any
 * other STOWAGE_* name is a typo and an error (naming file and line), since it would be ignored
 * silently. Relative paths of path settings are made absolute against the file's folder.
 */
export function readConfigFile(file: string, known: ReadonlySet<string>): ConfigFileValues {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES'
        ? 'permission denied (run the command as the service user, or choose a file with --config)'
        : (err as Error).message;
    throw new ConfigError(file, `cannot read the configuration file: ${why}`);
  }
  const result: ConfigFileValues = { file, values: {}, where: {}, other: {} };
  for (const { name, value, line } of parseEnvFile(text, file)) {
    const where = `${file}:${line}`;
    if (!name.startsWith('STOWAGE_')) {
      result.other[name] = value;
      continue;
    }
    if (name === CONFIG_FILE_ENV) {
      throw new ConfigError(where, `${CONFIG_FILE_ENV} cannot be set in the configuration file`);
    }
    if (!known.has(name)) throw new ConfigError(where, `unknown setting ${name}`);
    result.values[name] =
      PATH_SETTINGS.has(name) && value !== '' ? path.resolve(path.dirname(file), value) : value;
    result.where[name] = where;
  }
  return result;
}
