import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_ENV_NAMES, loadConfig, type Config, type ConfigInput } from '../config.js';
import { findConfigFile, readConfigFile } from '../config-file.js';

/**
 * Which Stowage instance a command works on (issue 19): the configuration from flags, the
 * environment and the configuration file, how to name the instance in messages, and whether it
 * exists yet (the admin commands never create one unless asked: `stowage init`, `--create`).
 */

export interface InstanceOpts {
  dataDir?: string;
  /** `--config <file>` (else STOWAGE_CONFIG, ~/.config/stowage/stowage.env, /etc/stowage/stowage.env). */
  config?: string;
  /** `--create`: make the instance if there is none. */
  create?: boolean;
}

export interface Instance {
  config: Config;
  /** The configuration file read, or null. */
  file: string | null;
  /** The instance in messages: the data dir, or the PostgreSQL database and schema. */
  label: string;
}

/**
 * The configuration of a command: flags > environment > configuration file > defaults. Variables
 * of the file that are not Stowage's (AWS_ACCESS_KEY_ID for S3…) go to the process environment,
 * unless set there, as a systemd EnvironmentFile would put them.
 */
export function loadInstance(
  flags: ConfigInput,
  configFlag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Instance {
  const file = findConfigFile(configFlag, env);
  const values = file ? readConfigFile(file, CONFIG_ENV_NAMES) : null;
  for (const [k, v] of Object.entries(values?.other ?? {})) if (env[k] === undefined) env[k] = v;
  const config = loadConfig(flags, env, values);
  return { config, file, label: instanceLabel(config) };
}

/** The data dir, or for PostgreSQL the database (no password) and schema, and where the bytes are. */
export function instanceLabel(config: Config): string {
  if (!config.databaseUrl) return config.dataDir;
  let db = 'PostgreSQL';
  try {
    const u = new URL(config.databaseUrl);
    u.password = '';
    db = u.toString();
  } catch {
    // not a URL pg would take either: it fails when connecting, with its own message
  }
  const schema = config.databaseSchema ? ` schema ${config.databaseSchema}` : '';
  const bytes = config.storage === 's3' ? '' : `, files in ${config.dataDir}`;
  return `${db}${schema}${bytes}`;
}

/** `instance: /srv/data, config /etc/stowage/stowage.env` (the file only when one was read). */
export function instanceText(i: Pick<Instance, 'label' | 'file'>): string {
  return `instance: ${i.label}${i.file ? `, config ${i.file}` : ''}`;
}

/** `(instance: /srv/data, config …)`, for the end of a message. */
export function instanceNote(i: Pick<Instance, 'label' | 'file'>): string {
  return `(${instanceText(i)})`;
}

/** The SQLite database of a data dir. */
export const sqliteFile = (config: Config) => path.join(config.dataDir, 'stowage.db');

/**
 * Whether the instance exists: for SQLite, its database file; for PostgreSQL, the migrations
 * table in the schema. Creates nothing (not even the data dir).
 */
export async function instanceExists(config: Config): Promise<boolean> {
  if (!config.databaseUrl) return fs.existsSync(sqliteFile(config));
  const [{ openPostgres }, { sql }] = await Promise.all([
    import('../storage/db.js'),
    import('kysely'),
  ]);
  const db = openPostgres(config.databaseUrl, 1, config.databaseSchema);
  try {
    // search_path is the schema alone when one is set; Kysely's table is kysely_migration.
    const r = await sql<{
      found: boolean;
    }>`select to_regclass('kysely_migration') is not null as found`.execute(db);
    return r.rows[0]?.found === true;
  } finally {
    await db.destroy();
  }
}

/** An admin command found no instance where it looked. */
export class NoInstanceError extends Error {
  constructor(readonly instance: Pick<Instance, 'label' | 'file'>) {
    const from = instance.file ? `config ${instance.file}; ` : '';
    super(
      `no Stowage instance at ${instance.label} (${from}use --config, STOWAGE_DATA_DIR, or run "stowage init" to create one)`,
    );
    this.name = 'NoInstanceError';
  }
}
