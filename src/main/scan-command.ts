import type { Command } from 'commander';
import { ConfigError } from '../config.js';
import type { RescanProgress } from '../core/scanning/scan-service.js';
import { ScannerUnavailable } from '../core/scanning/scanner.js';
import type { WithRuntime } from './cli-admin.js';

/**
 * `stowage scan [--all | --since DATE]`: scan stored blobs again with clamd (signatures changed),
 * in this process, STOWAGE_CLAMAV_CONCURRENCY at a time, showing progress on stderr. Without an
 * option, only blobs with no result yet (what the servers' catch-up sweep would do). Exit code 3
 * when clamd cannot be reached.
 */
export function addScanCommand(
  program: Command,
  dataDirOption: () => import('commander').Option,
  withRuntime: WithRuntime,
): void {
  program
    .command('scan')
    .description(
      'scan stored files with clamd (STOWAGE_CLAMAV): blobs not scanned yet; --all: every blob; --since DATE: those scanned before DATE',
    )
    .option('--all', 'scan every blob again')
    .option('--since <date>', 'scan again the blobs scanned before this date (ISO 8601)')
    .addOption(dataDirOption())
    .action(async (opts: { all?: boolean; since?: string; dataDir?: string }) => {
      if (opts.all && opts.since) throw new ConfigError('--since', 'use either --all or --since');
      let before: number | null = null;
      if (opts.since) {
        before = Date.parse(opts.since);
        if (!Number.isFinite(before))
          throw new ConfigError(
            '--since',
            `expected a date such as 2026-01-31, got "${opts.since}"`,
          );
      } else if (!opts.all) {
        // Only blobs with no result: "scanned before the beginning of time".
        before = Number.MIN_SAFE_INTEGER;
      }
      await withRuntime(opts, async (rt, say) => {
        const scanning = rt.core.scanning;
        if (!scanning) throw new ConfigError('STOWAGE_CLAMAV', 'not set: scanning is off');
        let last = 0;
        const show = (p: RescanProgress, force = false) => {
          if (!force && Date.now() - last < 250 && p.done < p.total) return;
          last = Date.now();
          const pct = p.total ? Math.floor((p.done / p.total) * 100) : 100;
          process.stderr.write(
            `\r${p.done}/${p.total} blobs (${pct}%), ${(p.bytes / 1e6).toFixed(1)} MB scanned, ${p.byStatus.infected} infected`,
          );
        };
        let p: RescanProgress;
        try {
          p = await scanning.rescanStored({ before, onProgress: show });
        } catch (err) {
          if (!(err instanceof ScannerUnavailable)) throw err;
          process.stderr.write('\n');
          console.error(`stowage: ${err.message}`);
          process.exitCode = 3;
          return;
        }
        show(p, true);
        process.stderr.write('\n');
        const s = p.byStatus;
        say(
          `scanned ${p.done} blob(s): ${s.clean} clean, ${s.infected} infected, ${s.unscanned} too large to scan, ${s.error} error(s)`,
        );
        if (s.error > 0) process.exitCode = 1;
      });
    });
}
