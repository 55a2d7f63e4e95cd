#!/usr/bin/env node
import './threadpool.js';
import { Command, Option } from 'commander';
import type { Runtime } from '../runtime.js';
import { ConfigError, loadConfig, type ConfigInput } from '../config.js';
import { CoreError } from '../core/errors.js';
import { ListenError } from './listen-error.js';
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
  new Option('--data-dir <dir>', 'data folder (env STOWAGE_DATA_DIR, default ./data)');

/** Open the store for an admin command; safe while a server runs on the same data dir. */
async function withRuntime<T>(
  opts: { dataDir?: string },
  fn: (rt: Runtime) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ dataDir: opts.dataDir, logLevel: 'silent' } satisfies ConfigInput);
  // Loaded on use: the client commands (HTTP only) start without the server's modules.
  const { createRuntime } = await import('../runtime.js');
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
    const config = loadConfig(opts);
    const { serve } = await import('./serve.js');
    await serve(config);
  });

program
  .command('migrate')
  .description('create or upgrade the database schema')
  .addOption(dataDirOption())
  .action(async (opts: { dataDir?: string }) => {
    const config = loadConfig({ dataDir: opts.dataDir, logLevel: 'silent' });
    const [{ createRuntime }, { migrate }] = await Promise.all([
      import('../runtime.js'),
      import('../storage/db.js'),
    ]);
    const rt = await createRuntime(config, { cleanStaging: false, migrate: false });
    try {
      const applied = await migrate(rt.db, rt.config.databaseSchema);
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
    await withRuntime(opts, async (rt) => {
      const u = await rt.core.accounts.setHotlinkExempt(name, v === 'on');
      console.log(`${u.username}: hotlink exempt ${v}`);
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
    await withRuntime(opts, async (rt) => {
      await rt.core.accounts.revokeKey(k);
      console.log('revoked');
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
    await withRuntime(opts, async (rt) => {
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
      if (problems === 0) console.log('ok: the database and the blob store agree');
      else if (r.fixed) console.log(`fixed ${problems} problem(s)`);
      else console.log(`${problems} problem(s); run with --fix to repair`);
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
    await withRuntime(opts, async (rt) => {
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
        console.log(`now set STOWAGE_STORAGE=${opts.to}; the ${opts.from} copies were not deleted`);
      } finally {
        await source.close();
        await target.close();
      }
    });
  });

addScanCommand(program, dataDirOption, withRuntime);
// The client (HTTP only, no data dir): upload, download, info, ls, rm, list, login, completion.
registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ListenError) {
    console.error(`stowage: ${err.message}`);
    process.exit(1);
  }
  if (err instanceof ConfigError || err instanceof CoreError) {
    console.error(`stowage: ${err instanceof CoreError ? cliMessage(err) : err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
