import type { Command, Option } from 'commander';
import { ConfigError, parseInteger, parseSize } from '../config-values.js';
import { CoreError } from '../core/errors.js';
import { INVITE_DEFAULT_DAYS, INVITE_MAX_DAYS, type LimitChanges } from '../core/limits/index.js';
import { CLI_ACTOR } from '../core/moderation/audit.js';
import type { WithRuntime } from './cli-admin.js';

/** What the CLI's entry module lends its commands. */
export interface CliContext {
  withRuntime: WithRuntime;
  dataDirOption(): Option;
}

/** `default` → null (the instance default), `unlimited` → -1, else a size with units. */
export function parseLimitSize(setting: string, raw: string): number | null {
  const v = raw.trim().toLowerCase();
  if (v === 'default') return null;
  if (v === 'unlimited' || v === '-1') return -1;
  if (v === '0') return 0;
  return parseSize(setting, raw);
}

/** `default` → null, `unlimited` → -1, else a count. */
export function parseLimitCount(setting: string, raw: string): number | null {
  const v = raw.trim().toLowerCase();
  if (v === 'default') return null;
  if (v === 'unlimited' || v === '-1') return -1;
  return parseInteger(setting, raw, 0, 1_000_000_000);
}

const show = (n: number | null | undefined, unit: string) =>
  n === null || n === undefined ? 'default' : n === -1 ? 'unlimited' : `${n}${unit}`;

/**
 * `stowage user set-quota|expiry-exempt` and `stowage invite create|list` (issue 15: quotas,
 * registration invites, inactivity expiry). Every change is audit-logged as the CLI.
 */
export function registerLimitsCommands(program: Command, user: Command, ctx: CliContext): void {
  const { withRuntime, dataDirOption } = ctx;

  user
    .command('set-quota <name>')
    .description(
      "set a user's limits: sizes such as 5GB or 512MiB, counts, `default` (the instance's) or `unlimited`",
    )
    .option('--storage <size>', 'bytes the user may keep stored')
    .option('--daily <size>', 'bytes the user may upload in any 24 hours')
    .option('--files <n>', 'files the user may keep')
    .option('--reason <text>', 'why (audit log)', '')
    .addOption(dataDirOption())
    .action(
      async (
        name: string,
        opts: {
          storage?: string;
          daily?: string;
          files?: string;
          reason: string;
          dataDir?: string;
        },
      ) => {
        const changes: LimitChanges = {};
        if (opts.storage !== undefined)
          changes.storageQuota = parseLimitSize('--storage', opts.storage);
        if (opts.daily !== undefined)
          changes.dailyUploadQuota = parseLimitSize('--daily', opts.daily);
        if (opts.files !== undefined) changes.maxFiles = parseLimitCount('--files', opts.files);
        if (Object.keys(changes).length === 0) {
          throw new ConfigError('set-quota', 'give at least one of --storage, --daily, --files');
        }
        await withRuntime(opts, async (rt, say) => {
          const u = await rt.core.accounts.userByName(name);
          const after = await rt.core.limits.accounts.set(CLI_ACTOR, u.id, changes, opts.reason);
          say(
            `${after.username}: storage ${show(after.storageQuota, ' bytes')}, daily ${show(after.dailyUploadQuota, ' bytes')}, files ${show(after.maxFiles, '')}`,
          );
        });
      },
    );

  user
    .command('expiry-exempt <name> <state>')
    .description("keep a user's files from expiring for inactivity (on) or not (off)")
    .option('--reason <text>', 'why (audit log)', '')
    .addOption(dataDirOption())
    .action(async (name: string, state: string, opts: { reason: string; dataDir?: string }) => {
      const v = state.trim().toLowerCase();
      if (v !== 'on' && v !== 'off')
        throw new CoreError('invalid_username', `expected on or off, got "${state}"`);
      await withRuntime(opts, async (rt, say) => {
        const u = await rt.core.accounts.userByName(name);
        await rt.core.limits.accounts.set(
          CLI_ACTOR,
          u.id,
          { expiryExempt: v === 'on' },
          opts.reason,
        );
        say(`${u.username}: expiry exempt ${v}`);
      });
    });

  const invite = program
    .command('invite')
    .description('registration invites (STOWAGE_REGISTRATION=invite)');
  invite
    .command('create')
    .description('create a single-use invite and print its code and link (shown only once)')
    .option('--days <n>', `validity in days (1 to ${INVITE_MAX_DAYS})`, String(INVITE_DEFAULT_DAYS))
    .option('--reason <text>', 'why (audit log)', '')
    .addOption(dataDirOption())
    .action(async (opts: { days: string; reason: string; dataDir?: string }) => {
      const days = parseInteger('--days', opts.days, 1, INVITE_MAX_DAYS);
      await withRuntime(opts, async (rt) => {
        const i = await rt.core.limits.invites.create(CLI_ACTOR, days, opts.reason);
        const base = rt.config.publicUrl ?? '';
        console.log(i.code);
        console.log(`${base}/register?invite=${i.code}`);
        console.log(`expires ${new Date(i.expiresAt).toISOString()}`);
      });
    });
  invite
    .command('list')
    .description('list invites, newest first (ids, never the codes)')
    .addOption(dataDirOption())
    .action(async (opts: { dataDir?: string }) => {
      await withRuntime(opts, async (rt) => {
        const { invites } = await rt.core.limits.invites.list(500, 0);
        const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
        console.log(['ID', 'CREATED', 'BY', 'EXPIRES', 'USED', 'USED BY'].join('\t'));
        for (const i of invites) {
          console.log(
            [
              i.id,
              iso(i.createdAt),
              i.createdBy,
              iso(i.expiresAt),
              iso(i.usedAt),
              i.usedBy ?? '-',
            ].join('\t'),
          );
        }
      });
    });
}
