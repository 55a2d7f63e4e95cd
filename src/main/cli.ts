#!/usr/bin/env node
import './threadpool.js';
import { Command, Option } from 'commander';
import type { Runtime } from '../runtime.js';
import { ConfigError } from '../config.js';
import { CoreError } from '../core/errors.js';
import { ListenError } from './listen-error.js';
import {
  instanceExists,
  instanceNote,
  instanceText,
  loadInstance,
  NoInstanceError,
  type Instance,
  type InstanceOpts,
} from './instance.js';
import { cliMessage, packageVersion, registerAdminCommands } from './cli-admin.js';
import { registerUserCommands } from './cli-users.js';
import { addScanCommand } from './scan-command.js';
import { registerLimitsCommands } from './cli-limits.js';
import { registerClientCommands } from './client/index.js';

const program = new Command();
program
  .name('stowage')
  .description(
    'Self-hosted file sharing: the pixeldrain, FileBin and Chevereto upload APIs on one server',
  )
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

const dataDirOption = () =>
  new Option(
    '--data-dir <dir>',
    'data folder (env STOWAGE_DATA_DIR, else the configuration file, else ./data)',
  );

/** The instance the command works on, once known: its errors name it too. */
let current: Instance | null = null;

/** Print a command's result line with the instance it changed: `created user alice (instance: …)`. */
export type Say = (message: string) => void;

/**
 * Open the store for an admin command; safe while a server runs on the same data dir. Refuses an
 * instance that does not exist (no database) unless `--create`. The instance is named on the
 * command's result line (`say`) or, when stdout carries data (a key, a table), on stderr.
 */
async function withRuntime<T>(
  opts: InstanceOpts,
  fn: (rt: Runtime, say: Say) => Promise<T>,
): Promise<T> {
  const inst = (current = loadInstance({ dataDir: opts.dataDir, logLevel: 'silent' }, opts.config));
  if (!(await instanceExists(inst.config))) {
    if (!opts.create) throw new NoInstanceError(inst);
    console.error(`stowage: creating a new instance (${instanceText(inst)})`);
  }
  // Loaded on use: the client commands (HTTP only) start without the server's modules.
  const { createRuntime } = await import('../runtime.js');
  const rt = await createRuntime(inst.config, { cleanStaging: false, migrate: true });
  let named = false;
  const say: Say = (message) => {
    named = true;
    console.log(`${message} ${instanceNote(inst)}`);
  };
  try {
    const result = await fn(rt, say);
    if (!named) console.error(`stowage: ${instanceText(inst)}`);
    return result;
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
  .action(
    async (opts: {
      host?: string;
      port?: string;
      dataDir?: string;
      workers?: string;
      config?: string;
    }) => {
      const { config: file, ...flags } = opts;
      const inst = loadInstance(flags, file);
      const { serve } = await import('./serve.js');
      await serve(inst.config, inst.file);
    },
  );

/** Create the schema or bring it up to date, saying what was applied. */
async function migrateCommand(opts: InstanceOpts, init: boolean): Promise<void> {
  const inst = (current = loadInstance({ dataDir: opts.dataDir, logLevel: 'silent' }, opts.config));
  const existed = await instanceExists(inst.config);
  if (!existed && !init && !opts.create) throw new NoInstanceError(inst);
  const [{ createRuntime }, { migrate }] = await Promise.all([
    import('../runtime.js'),
    import('../storage/db.js'),
  ]);
  const rt = await createRuntime(inst.config, { cleanStaging: false, migrate: false });
  try {
    const applied = await migrate(rt.db, rt.config.databaseSchema);
    const what = applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date';
    const first = !existed
      ? 'created a new Stowage instance; '
      : init
        ? 'a Stowage instance is already there; '
        : '';
    console.log(`${first}${what} ${instanceNote(inst)}`);
  } finally {
    await rt.close();
  }
}

program
  .command('init')
  .description(
    'create a new instance: the data dir and its database, or the schema on PostgreSQL (no-op when it exists)',
  )
  .addOption(dataDirOption())
  .action((opts: InstanceOpts) => migrateCommand(opts, true));

program
  .command('migrate')
  .description('upgrade the database schema of an instance (with --create, make it if missing)')
  .addOption(dataDirOption())
  .action((opts: InstanceOpts) => migrateCommand(opts, false));

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
      await withRuntime(opts, async (rt, say) => {
        const u = await rt.core.accounts.createUser(name, password, !!opts.admin);
        say(`created user ${u.username}${u.isAdmin ? ' (admin)' : ''}`);
      });
    },
  );

user
  .command('hotlink <name> <state>')
  .description(
    "exempt a user's downloads from the hotlink rule (on) or not (off); no captcha for them",
  )
  .addOption(dataDirOption())
  .action(async (name: string, state: string, opts: { dataDir?: string }) => {
    const v = state.trim().toLowerCase();
    if (v !== 'on' && v !== 'off')
      throw new CoreError('invalid_username', `expected on or off, got "${state}"`);
    await withRuntime(opts, async (rt, say) => {
      const u = await rt.core.accounts.setHotlinkExempt(name, v === 'on');
      say(`${u.username}: hotlink exempt ${v}`);
    });
  });

registerLimitsCommands(program, user, { withRuntime, dataDirOption });
// Moderation: file, hash, report, audit, and user list|show|disable|enable|delete|set-role|passwd.
registerAdminCommands(program, withRuntime, dataDirOption);
registerUserCommands(user, withRuntime, dataDirOption);

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
    await withRuntime(opts, async (rt, say) => {
      await rt.core.accounts.revokeKey(k);
      say('revoked');
    });
  });

program
  .command('gc')
  .description(
    'check that the database and the blob store agree: objects no file or file node uses, files and nodes whose bytes are missing, wrong reference counts',
  )
  .option(
    '--fix',
    'repair: delete unused objects, unservable files and file nodes, and uploads abandoned by dead processes, correct the counts',
  )
  .option(
    '--min-age <seconds>',
    'leave unreferenced objects younger than this alone (uploads in flight)',
    '3600',
  )
  .addOption(dataDirOption())
  .action(async (opts: { fix?: boolean; minAge: string; dataDir?: string }) => {
    const minAge = Number(opts.minAge);
    if (!Number.isFinite(minAge) || minAge < 0)
      throw new ConfigError('--min-age', `expected seconds, got "${opts.minAge}"`);
    await withRuntime(opts, async (rt, say) => {
      const r = await rt.integrity.gc({ fix: !!opts.fix, minAgeMs: minAge * 1000 });
      const broken = r.missing.reduce((n, m) => n + m.fileIds.length, 0);
      const brokenNodes = r.missing.reduce((n, m) => n + m.nodes.length, 0);
      console.log(`unused objects (no file, older than ${minAge} s): ${r.orphans.length}`);
      for (const o of r.orphans) console.log(`  ${o}`);
      console.log(
        `missing objects (files without their bytes): ${r.missing.length}, ${broken} file(s), ${brokenNodes} node(s)`,
      );
      for (const m of r.missing) {
        // Files by id, file nodes (filesystem API) as owner:path.
        const users = [...m.fileIds, ...m.nodes.map((n) => `node ${n.owner}:${n.path}`)];
        console.log(`  ${m.key} at ${m.location}: ${users.join(', ')}`);
      }
      console.log(`wrong reference counts: ${r.miscounted.length}`);
      for (const c of r.miscounted)
        console.log(`  ${c.key}: recorded ${c.recorded}, files ${c.files}, nodes ${c.nodes}`);
      console.log(`young unused objects left alone: ${r.young}`);
      console.log(
        `uploads in progress or abandoned: ${r.pendingUploads ?? 'unknown (the store does not list them)'}`,
      );
      console.log(`abandoned uploads (their process is gone): ${r.abandonedUploads}`);
      const problems =
        r.orphans.length + r.missing.length + r.miscounted.length + r.abandonedUploads;
      if (problems === 0) say('ok: the database and the blob store agree');
      else if (r.fixed) say(`fixed ${problems} problem(s)`);
      else say(`${problems} problem(s); run with --fix to repair`);
    });
  });

program
  .command('migrate-storage')
  .description(
    'copy every blob from one store to the other (verifying SHA-256) and point the database at the copies; resumable; the source is left as it is',
  )
  .requiredOption('--from <store>', 'fs or s3')
  .requiredOption('--to <store>', 'fs or s3')
  .addOption(dataDirOption())
  .action(async (opts: { from: string; to: string; dataDir?: string }) => {
    const kinds = ['fs', 's3'];
    if (!kinds.includes(opts.from))
      throw new ConfigError('--from', `expected fs or s3, got "${opts.from}"`);
    if (!kinds.includes(opts.to) || opts.to === opts.from)
      throw new ConfigError('--to', `expected the other of fs and s3, got "${opts.to}"`);
    await withRuntime(opts, async (rt, say) => {
      const { openBlobStore } = await import('../runtime.js');
      const source = await openBlobStore(rt.config, opts.from as 'fs' | 's3');
      const target = await openBlobStore(rt.config, opts.to as 'fs' | 's3');
      await source.open({ cleanStaging: false });
      await target.open({ cleanStaging: false });
      try {
        let last = 0;
        const r = await rt.integrity.migrateStorage(source, target, (done, total, bytes) => {
          if (Date.now() - last < 500 && done < total) return;
          last = Date.now();
          const pct = total ? Math.floor((done / total) * 100) : 100;
          process.stderr.write(
            `\r${done}/${total} blobs (${pct}%), ${(bytes / 1e6).toFixed(1)} MB copied`,
          );
        });
        process.stderr.write('\n');
        console.log(
          `copied ${r.copied} blob(s) (${r.bytes} bytes), ${r.skipped} already in place; ${r.derivedDropped} cached thumbnail(s) dropped (made again on demand)`,
        );
        say(`now set STOWAGE_STORAGE=${opts.to}; the ${opts.from} copies were not deleted`);
      } finally {
        await source.close();
        await target.close();
      }
    });
  });

addScanCommand(program, dataDirOption, withRuntime);

/**
 * Every command that works on an instance (those with --data-dir) also takes --config, and all
 * but `serve` and `init` (which create it) take --create.
 */
function addInstanceOptions(parent: Command): void {
  for (const c of parent.commands) {
    if (c.options.some((o) => o.long === '--data-dir')) {
      c.option(
        '--config <file>',
        'configuration file (env STOWAGE_CONFIG; else ~/.config/stowage/stowage.env, then /etc/stowage/stowage.env)',
      );
      if (c.name() !== 'serve' && c.name() !== 'init')
        c.option('--create', 'create the instance if there is none (as `stowage init` does)');
    }
    addInstanceOptions(c);
  }
}
addInstanceOptions(program);

// The client (HTTP only, no data dir): upload, download, info, ls, rm, list, login, completion.
registerClientCommands(program);

program.addHelpText(
  'after',
  `
Configuration of the server and the admin commands (all but the client's):
  flags, then STOWAGE_* environment variables, then the first configuration file found:
  --config FILE or STOWAGE_CONFIG, else $XDG_CONFIG_HOME/stowage/stowage.env
  (~/.config/stowage/stowage.env), else /etc/stowage/stowage.env. One NAME=value a line, the
  same STOWAGE_* names; relative paths are relative to the file's folder. Without any, the data
  dir is ./data of the current directory.
  Admin commands refuse a data dir (or PostgreSQL schema) without a database: create one with
  "stowage init" (or --create). "serve" creates it on its first start.
The client commands (upload, download, login...) keep their own settings, written by
"stowage login": $XDG_CONFIG_HOME/stowage/client.json (~/.config/stowage/client.json).`,
);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ListenError) {
    console.error(`stowage: ${err.message}`);
    process.exit(1);
  }
  if (err instanceof NoInstanceError) {
    console.error(`stowage: ${err.message}`);
    process.exit(2);
  }
  // A failure on an instance names it, on the same line.
  const where = current ? ` ${instanceNote(current)}` : '';
  if (err instanceof ConfigError || err instanceof CoreError) {
    console.error(`stowage: ${err instanceof CoreError ? cliMessage(err) : err.message}${where}`);
    process.exit(2);
  }
  if (where) console.error(`stowage: on ${instanceText(current!)}:`);
  console.error(err);
  process.exit(1);
});
