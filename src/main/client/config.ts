import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClientError, EXIT, usageError } from './errors.js';

/** Where the client keeps its settings and tus fingerprints: $XDG_CONFIG_HOME/stowage, else ~/.config/stowage. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config');
  return path.join(base, 'stowage');
}

export const configFile = (env?: NodeJS.ProcessEnv) => path.join(configDir(env), 'client.json');

export interface ClientSettings {
  url: string;
  key: string | null;
}

export interface ConnectionFlags {
  url?: string;
  key?: string;
}

/** `http(s)://host[:port][/prefix]` without a trailing slash; anything else is a usage error. */
export function normalizeUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw usageError(`not a URL: "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw usageError(`expected an http or https URL, got "${raw}"`);
  if (u.username || u.password) throw usageError('put the API key in --key, not in the URL');
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

function readConfigFile(file: string): Partial<ClientSettings> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return {};
    throw new ClientError('config', `cannot read ${file}: ${(err as Error).message}`, EXIT.usage);
  }
  try {
    const v = JSON.parse(text) as Partial<ClientSettings>;
    return {
      ...(typeof v.url === 'string' ? { url: v.url } : {}),
      ...(typeof v.key === 'string' ? { key: v.key } : {}),
    };
  } catch {
    throw new ClientError('config', `${file} is not valid JSON`, EXIT.usage);
  }
}

/** The server URL and key: flags, else STOWAGE_URL / STOWAGE_KEY, else the config file. */
export function resolveSettings(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): ClientSettings {
  const file = readConfigFile(configFile(env));
  const url = flags.url ?? env.STOWAGE_URL ?? file.url;
  if (!url)
    throw usageError('no server: pass --url, set STOWAGE_URL, or run `stowage login` first');
  const key = flags.key ?? env.STOWAGE_KEY ?? file.key ?? null;
  return { url: normalizeUrl(url), key: key ? key.trim() : null };
}

/** Write the config file with mode 600 (its folder 700), replacing it atomically. */
export function writeSettings(
  settings: ClientSettings,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const dir = configDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = configFile(env);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600, flag: 'w' });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

/** A positive byte count from an environment variable or flag (`64MiB`, `1048576`, `512k`). */
export function parseSize(raw: string | undefined, what: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)$/i.exec(raw.trim());
  if (!m) throw usageError(`${what}: expected a size such as 64MiB, got "${raw}"`);
  const unit = m[2]!.toLowerCase();
  const binary = m[3]!.toLowerCase().startsWith('i') || m[3] === '';
  const base = binary ? 1024 : 1000;
  const pow = unit ? 'kmgt'.indexOf(unit) + 1 : 0;
  const n = Math.floor(Number(m[1]) * base ** pow);
  if (!Number.isSafeInteger(n) || n < 1)
    throw usageError(`${what}: expected a positive size, got "${raw}"`);
  return n;
}
