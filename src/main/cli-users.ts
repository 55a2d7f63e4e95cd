import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { CoreError, invalidInput } from '../core/errors.js';
import type { AdminUserRecord } from '../core/moderation/admin-search.js';
import { CLI_ACTOR } from '../core/moderation/audit.js';
import type { Runtime } from '../runtime.js';
import { iso, type DataDirOption, type Opts, type WithRuntime } from './cli-admin.js';

/**
 * The operator's account commands beside `user add` and `user hotlink` (cli.ts): list, show,
 * disable, enable, delete, set-role, passwd. Changes are audit-logged as the command line.
 * (`user set-quota` is the limits area's.)
 */

/**
 * A password from standard input (a pipe: its first line), or typed at a prompt without echo.
 * Never from the command line, where other users could read it.
 */
export async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write(prompt);
  out._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

function userLine(a: AdminUserRecord): string {
  const u = a.user;
  return [
    u.username,
    u.email ?? '-',
    u.isAdmin ? 'admin' : 'user',
    u.disabled ? 'disabled' : 'active',
    a.fileCount,
    a.storageUsed,
    iso(u.createdAt),
  ].join('\t');
}

export function registerUserCommands(
  user: Command,
  withRuntime: WithRuntime,
  dataDirOption: DataDirOption,
): void {
  const reason = (c: Command) => c.option('--reason <text>', 'why (written to the audit log)', '');
  const byName = async (rt: Runtime, name: string) => (await rt.core.accounts.userByName(name)).id;
  user
    .command('list')
    .description('accounts (username, e-mail, role, state, files, bytes, created)')
    .option('--query <text>', 'username or e-mail substring')
    .addOption(dataDirOption())
    .action(async (opts: Opts & { query?: string }) => {
      await withRuntime(opts, async (rt) => {
        const { users, total } = await rt.core.adminSearch.users(opts.query ?? '', { limit: 500 });
        console.log(
          ['USERNAME', 'E-MAIL', 'ROLE', 'STATE', 'FILES', 'BYTES', 'CREATED'].join('\t'),
        );
        for (const u of users) console.log(userLine(u));
        if (total > users.length) console.log(`(${total - users.length} more)`);
      });
    });
  user
    .command('show <name>')
    .description("an account's details and newest files")
    .addOption(dataDirOption())
    .action(async (name: string, opts: Opts) => {
      await withRuntime(opts, async (rt) => {
        const a = (await rt.core.adminSearch.user(await byName(rt, name)))!;
        const u = a.user;
        for (const [k, v] of [
          ['username', u.username],
          ['id', u.id],
          ['e-mail', u.email ?? '-'],
          ['role', u.isAdmin ? 'admin' : 'user'],
          ['state', u.disabled ? 'disabled' : 'active'],
          ['created', iso(u.createdAt)],
          ['files', a.fileCount],
          ['bytes', a.storageUsed],
          ['hotlink', u.hotlinkExempt ? 'exempt' : 'not exempt'],
        ] as const)
          console.log(`${k.padEnd(9)} ${String(v)}`);
        for (const f of await rt.core.adminSearch.filesOf(u.id, 50))
          console.log(`  ${f.file.id}\t${f.file.size}\t${iso(f.file.createdAt)}\t${f.file.name}`);
      });
    });
  const flag = (cmd: string, description: string, flags: { disabled?: boolean }) =>
    reason(user.command(`${cmd} <name>`).description(description))
      .addOption(dataDirOption())
      .action(async (name: string, opts: Opts) => {
        await withRuntime(opts, async (rt, say) => {
          await rt.core.adminUsers.setFlags(await byName(rt, name), flags, CLI_ACTOR, opts.reason);
          say(`${name}: ${cmd}d`);
        });
      });
  flag('disable', 'disable an account: no login, its keys refused (403 account_banned)', {
    disabled: true,
  });
  flag('enable', 'enable a disabled account again', { disabled: false });
  reason(user.command('delete <name>').description('delete an account and all its files'))
    .addOption(dataDirOption())
    .action(async (name: string, opts: Opts) => {
      await withRuntime(opts, async (rt, say) => {
        await rt.core.adminUsers.delete(await byName(rt, name), CLI_ACTOR, opts.reason);
        say(`deleted ${name}`);
      });
    });
  reason(user.command('set-role <name> <role>').description('make an account an admin or a user'))
    .addOption(dataDirOption())
    .action(async (name: string, role: string, opts: Opts) => {
      if (role !== 'admin' && role !== 'user')
        throw invalidInput([
          { field: 'role', problem: 'invalid_enum', allowed: ['admin', 'user'] },
        ]);
      await withRuntime(opts, async (rt, say) => {
        const id = await byName(rt, name);
        await rt.core.adminUsers.setFlags(
          id,
          { isAdmin: role === 'admin' },
          CLI_ACTOR,
          opts.reason,
        );
        say(`${name}: ${role}`);
      });
    });
  user
    .command('passwd <name>')
    .description("set an account's password (from standard input, or typed at a prompt)")
    .addOption(dataDirOption())
    .action(async (name: string, opts: Opts) => {
      const password = await readPassword(`New password for ${name}: `);
      if (!password) throw new CoreError('invalid_input', 'the password is empty');
      await withRuntime(opts, async (rt, say) => {
        await rt.core.adminUsers.setPassword(await byName(rt, name), password, CLI_ACTOR);
        say(`password of ${name} set`);
      });
    });
}
