import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CoreError, invalidInput, type ValidationIssue } from '../core/errors.js';
import type { AdminFileRecord } from '../core/moderation/admin-search.js';
import { CLI_ACTOR } from '../core/moderation/audit.js';
import { REPORT_STATUSES, type ReportStatus } from '../core/moderation/reports.js';
import type { Runtime } from '../runtime.js';
import type { InstanceOpts } from './instance.js';

/**
 * The operator's moderation commands (issue 15): files, hashes, reports, the audit log (accounts: cli-users.ts).
 * Every change is written to the audit log as the command line (CLI_ACTOR).
 */

/** Print a command's result line, followed by the instance it worked on. */
export type Say = (message: string) => void;
/**
 * Run an admin command on its instance (refused when there is none, unless --create). `say` names
 * the instance on the result line; commands that do not call it (their stdout is data: a key, a
 * table) have it named on stderr.
 */
export type WithRuntime = <T>(
  opts: InstanceOpts,
  fn: (rt: Runtime, say: Say) => Promise<T>,
) => Promise<T>;
export type DataDirOption = () => import('commander').Option;
export interface Opts extends InstanceOpts {
  reason?: string;
}

export const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '-' : new Date(ms).toISOString();

/** The version in package.json (the nearest one above this module, in source and built form). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
    const up = path.dirname(dir);
    if (up === dir) return '0.0.0';
    dir = up;
  }
}

/** A core error for the terminal: invalid input names its fields and what is wrong. */
export function cliMessage(err: CoreError): string {
  const issues = err.code === 'invalid_input' ? (err.extra?.issues as ValidationIssue[]) : null;
  if (!issues?.length) return err.message;
  return issues
    .map((i) =>
      i.problem === 'invalid_enum'
        ? `${i.field}: expected one of ${i.allowed.join(', ')}`
        : i.problem === 'out_of_range'
          ? `${i.field}: expected ${i.min} to ${i.max} characters, got ${i.len}`
          : `${i.field}: ${i.problem.replace(/_/g, ' ')}`,
    )
    .join('; ');
}

function printFile(a: AdminFileRecord): void {
  const f = a.file;
  const rows: Array<[string, unknown]> = [
    ['id', f.id],
    ['name', f.name],
    ['size', f.size],
    ['type', f.mimeType],
    ['sha256', f.blobKey],
    ['uploaded', iso(f.createdAt)],
    ['owner', a.owner ? a.owner.username : '-'],
    ['uploader ip', f.uploaderIp ?? '-'],
    ['views', f.views],
    ['downloads', f.downloads],
    ['bandwidth', f.bandwidthUsed],
    [
      'blocked',
      f.abuseType ? `${f.abuseType} at ${iso(f.blockedAt)}: ${f.blockReason ?? ''}` : 'no',
    ],
    [
      'scan',
      f.scanStatus
        ? `${f.scanStatus}${f.scanSignature ? ` (${f.scanSignature})` : ''}`
        : 'not scanned',
    ],
    ['expires', iso(f.expiresAt)],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(12)} ${String(v)}`);
}

export function registerAdminCommands(
  program: Command,
  withRuntime: WithRuntime,
  dataDirOption: DataDirOption,
): void {
  const reason = (c: Command) => c.option('--reason <text>', 'why (written to the audit log)', '');

  // Files.
  const file = program.command('file').description('look up, block, unblock or delete a file');
  file
    .command('info <id>')
    .description("a file's details, reports and audit entries")
    .addOption(dataDirOption())
    .action(async (id: string, opts: Opts) => {
      await withRuntime(opts, async (rt) => {
        const a = await rt.core.adminSearch.file(id);
        if (!a) throw new CoreError('not_found', `no file ${id}`);
        printFile(a);
        const { reports } = await rt.core.reports.list({ fileId: id, limit: 500 });
        console.log(`reports      ${reports.length}`);
        for (const r of reports)
          console.log(`  ${r.id}\t${r.status}\t${r.type}\t${iso(r.createdAt)}\t${r.description}`);
      });
    });
  reason(
    file
      .command('block <id>')
      .description('block a file: 451 unavailable_for_legal_reasons for everyone but admins')
      .option(
        '--type <type>',
        'abuse type (terrorism, gore, child_abuse, ..., copyright, other)',
        'other',
      ),
  )
    .addOption(dataDirOption())
    .action(async (id: string, opts: Opts & { type: string }) => {
      await withRuntime(opts, async (rt, say) => {
        const f = await rt.core.blocks.block(id, opts.type, opts.reason ?? '', CLI_ACTOR);
        say(`blocked ${f.id} (${f.abuseType})`);
      });
    });
  reason(file.command('unblock <id>').description('unblock a file'))
    .addOption(dataDirOption())
    .action(async (id: string, opts: Opts) => {
      await withRuntime(opts, async (rt, say) => {
        await rt.core.blocks.unblock(id, opts.reason ?? '', CLI_ACTOR);
        say(`unblocked ${id}`);
      });
    });
  reason(file.command('delete <id>').description('delete a file, whoever owns it'))
    .addOption(dataDirOption())
    .action(async (id: string, opts: Opts) => {
      await withRuntime(opts, async (rt, say) => {
        await rt.core.blocks.deleteFile(id, opts.reason ?? '', CLI_ACTOR);
        say(`deleted ${id}`);
      });
    });

  // Content hashes.
  const hash = program.command('hash').description('block content (SHA-256) from being uploaded');
  reason(
    hash
      .command('block <sha256>')
      .description('refuse uploads of these bytes from now on')
      .option('--block-files', 'also block the files that hold these bytes now')
      .option('--type <type>', 'abuse type for those files', 'other'),
  )
    .addOption(dataDirOption())
    .action(async (sha: string, opts: Opts & { blockFiles?: boolean; type: string }) => {
      await withRuntime(opts, async (rt, say) => {
        const n = await rt.core.blocks.blockHash(sha, opts.reason ?? '', CLI_ACTOR, {
          blockFiles: !!opts.blockFiles,
          type: opts.type,
        });
        say(`blocked ${sha.toLowerCase()}${opts.blockFiles ? `, ${n} file(s) blocked` : ''}`);
      });
    });
  reason(hash.command('unblock <sha256>').description('allow these bytes again'))
    .addOption(dataDirOption())
    .action(async (sha: string, opts: Opts) => {
      await withRuntime(opts, async (rt, say) => {
        await rt.core.blocks.unblockHash(sha, opts.reason ?? '', CLI_ACTOR);
        say(`unblocked ${sha.toLowerCase()}`);
      });
    });
  hash
    .command('list')
    .description('the blocked hashes, newest first')
    .addOption(dataDirOption())
    .action(async (opts: Opts) => {
      await withRuntime(opts, async (rt) => {
        const { hashes } = await rt.core.blocks.listHashes(500);
        for (const h of hashes)
          console.log([h.sha256, iso(h.createdAt), h.createdBy, h.reason].join('\t'));
      });
    });

  // Reports.
  const report = program.command('report').description('abuse reports');
  report
    .command('list')
    .description('reports, newest first')
    .option('--status <status>', 'open, resolved, dismissed or all', 'open')
    .addOption(dataDirOption())
    .action(async (opts: Opts & { status: string }) => {
      if (opts.status !== 'all' && !(REPORT_STATUSES as readonly string[]).includes(opts.status))
        throw invalidInput([
          { field: 'status', problem: 'invalid_enum', allowed: [...REPORT_STATUSES, 'all'] },
        ]);
      await withRuntime(opts, async (rt) => {
        const { reports, total } = await rt.core.reports.list({
          ...(opts.status === 'all' ? {} : { status: opts.status as ReportStatus }),
          limit: 500,
        });
        console.log(['ID', 'FILE', 'TYPE', 'STATUS', 'CREATED', 'FROM', 'DESCRIPTION'].join('\t'));
        for (const r of reports)
          console.log(
            [
              r.id,
              r.fileId,
              r.type,
              r.status,
              iso(r.createdAt),
              r.reporterIp,
              r.description.replace(/\s+/g, ' '),
            ].join('\t'),
          );
        if (total > reports.length) console.log(`(${total - reports.length} more)`);
      });
    });
  reason(
    report
      .command('resolve <id> <action>')
      .description(
        "block: block the report's file (resolving all its reports); dismiss: dismiss it",
      ),
  )
    .addOption(dataDirOption())
    .action(async (id: string, action: string, opts: Opts) => {
      await withRuntime(opts, async (rt, say) => {
        const r = await rt.core.reports.resolve(id, action, CLI_ACTOR, opts.reason);
        say(`report ${r.id}: ${r.status}`);
      });
    });

  // The audit log.
  program
    .command('audit')
    .description('the audit log of admin actions, newest first')
    .option('--limit <n>', 'how many entries', '50')
    .addOption(dataDirOption())
    .action(async (opts: Opts & { limit: string }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CoreError(
          'invalid_input',
          `--limit: expected a positive integer, got "${opts.limit}"`,
        );
      await withRuntime(opts, async (rt) => {
        const { entries } = await rt.core.audit.list({ limit });
        console.log(['AT', 'ACTOR', 'ACTION', 'TARGET', 'REASON', 'DETAILS'].join('\t'));
        for (const e of entries)
          console.log(
            [
              iso(e.at),
              e.actorName,
              e.action,
              `${e.targetType}:${e.targetId}`,
              e.reason || '-',
              JSON.stringify(e.details),
            ].join('\t'),
          );
      });
    });
}
