#!/usr/bin/env node
import './threadpool.js';
import { Command, Option } from 'commander';
import { createRuntime, type Runtime } from '../runtime.js';
import { ConfigError, loadConfig, type ConfigInput } from '../config.js';
import { CoreError } from '../core/errors.js';
import { migrate } from '../storage/db.js';
import { serve } from './serve.js';

const program = new Command();
program
  .name('stowage')
  .description(
    'Self-hosted file sharing: the pixeldrain, FileBin and Chevereto upload APIs on one server',
  )
  .showHelpAfterError();

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'data folder (env STOWAGE_DATA_DIR, default ./data)');

/** Open the store for an admin command; safe while a server runs on the same data dir. */
async function withRuntime<T>(
  opts: { dataDir?: string },
  fn: (rt: Runtime) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ dataDir: opts.dataDir, logLevel: 'silent' } satisfies ConfigInput);
  const rt = await createRuntime(config, { cleanStaging: false, migrate: true });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

program
  .command('serve')
  .description('run the server (migrates the database first)')
  .option('--host <host>', 'address to listen on (env STOWAGE_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port (env STOWAGE_PORT, default 8080)')
  .addOption(dataDirOption())
  .option('--workers <n>', 'HTTP worker processes (env STOWAGE_WORKERS, default 1)')
  .action(async (opts: { host?: string; port?: string; dataDir?: string; workers?: string }) => {
    await serve(loadConfig(opts));
  });

program
  .command('migrate')
  .description('create or upgrade the database schema')
  .addOption(dataDirOption())
  .action(async (opts: { dataDir?: string }) => {
    const config = loadConfig({ dataDir: opts.dataDir, logLevel: 'silent' });
    const rt = await createRuntime(config, { cleanStaging: false, migrate: false });
    try {
      const applied = await migrate(rt.db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await rt.close();
    }
  });

const user = program.command('user').description('manage users');
user
  .command('add <name>')
  .description('create a user')
  .option('--password-stdin', 'read the password from standard input')
  .option('--admin', 'make the user an administrator')
  .addOption(dataDirOption())
  .action(
    async (name: string, opts: { passwordStdin?: boolean; admin?: boolean; dataDir?: string }) => {
      const password = opts.passwordStdin ? await readStdin() : null;
      if (opts.passwordStdin && !password)
        throw new CoreError('invalid_username', 'the password read from stdin is empty');
      await withRuntime(opts, async (rt) => {
        const u = await rt.core.accounts.createUser(name, password, !!opts.admin);
        console.log(`created user ${u.username}${u.isAdmin ? ' (admin)' : ''}`);
      });
    },
  );

const key = program.command('key').description('manage API keys');
key
  .command('create <user>')
  .description('create an API key and print it (it is shown only once)')
  .option('--app-name <name>', 'what the key is for', 'cli')
  .addOption(dataDirOption())
  .action(async (name: string, opts: { appName: string; dataDir?: string }) => {
    await withRuntime(opts, async (rt) => {
      const { key: k } = await rt.core.accounts.createKey(name, opts.appName, 'cli');
      process.stdout.write(k + '\n');
    });
  });
key
  .command('list <user>')
  .description("list a user's API keys (ids, never the keys themselves)")
  .addOption(dataDirOption())
  .action(async (name: string, opts: { dataDir?: string }) => {
    await withRuntime(opts, async (rt) => {
      const keys = await rt.core.accounts.listKeys(name);
      const iso = (ms: number) => new Date(ms).toISOString();
      console.log(['KEY ID', 'APP NAME', 'CREATED', 'LAST USED', 'CREATED FROM'].join('\t'));
      for (const k of keys)
        console.log(
          [k.keyId, k.appName, iso(k.createdAt), iso(k.lastUsedAt), k.creationIp].join('\t'),
        );
    });
  });
key
  .command('revoke <key>')
  .description('revoke an API key (the key itself or its id from `key list`)')
  .addOption(dataDirOption())
  .action(async (k: string, opts: { dataDir?: string }) => {
    await withRuntime(opts, async (rt) => {
      await rt.core.accounts.revokeKey(k);
      console.log('revoked');
    });
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CoreError) {
    console.error(`stowage: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
