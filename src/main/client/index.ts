import { Command, Option } from 'commander';
import { Api } from './http.js';
import { parseSize, resolveSettings, type ConnectionFlags } from './config.js';
import { asClientError, EXIT, Interrupted, usageError } from './errors.js';
import { Progress, humanBytes } from './progress.js';
import { batchExitCode, uploadAll, type UploadResult } from './upload.js';
import { download, type DownloadResult } from './download.js';
import {
  createList,
  fileInfo,
  infoLines,
  listDirectory,
  login,
  removeFile,
  userFiles,
} from './account.js';
import { bashCompletion } from './completion.js';

/** Files from this size on go through tus (resumable); smaller ones in one PUT. */
const DEFAULT_THRESHOLD = 64 * 1024 * 1024;
/** One tus PATCH at most this long: what a resumed upload may send twice. */
const DEFAULT_CHUNK = 64 * 1024 * 1024;

interface CommonFlags extends ConnectionFlags {
  json?: boolean;
  quiet?: boolean;
}

interface Ctx {
  api: () => Api;
  flags: CommonFlags;
  progress: Progress;
  signal: AbortSignal;
  /** A result: one JSON object per line with --json, else the human line. */
  out: (json: object, line: string | null) => void;
}

function withCommon(cmd: Command, opts: { server?: boolean } = {}): Command {
  if (opts.server !== false)
    cmd
      .option(
        '--url <url>',
        'server URL (env STOWAGE_URL, else the config file of `stowage login`)',
      )
      .option('--key <key>', 'API key (env STOWAGE_KEY, else the config file)');
  return cmd
    .option('--json', 'machine-readable output: one JSON object per line on stdout')
    .option('-q, --quiet', 'no progress display');
}

/**
 * Run a client command: Ctrl-C (or SIGTERM) aborts what is in flight and exits 130 (a second one
 * exits at once); errors are printed in one line (`stowage: value: message`) with their exit code.
 */
async function run(flags: CommonFlags, fn: (ctx: Ctx) => Promise<number>): Promise<never> {
  const ac = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(EXIT.interrupted);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = new Progress({ quiet: flags.quiet || (flags.json && !process.stderr.isTTY) });
  let api: Api | null = null;
  const ctx: Ctx = {
    api: () => (api ??= new Api(resolveSettings(flags))),
    flags,
    progress,
    signal: ac.signal,
    out: (json, line) => {
      if (flags.json) process.stdout.write(JSON.stringify(json) + '\n');
      else if (line !== null) progress.result(line);
    },
  };
  let code: number;
  try {
    code = await fn(ctx);
  } catch (err) {
    const e = ac.signal.aborted ? new Interrupted() : asClientError(err);
    progress.stop();
    if (flags.json)
      process.stdout.write(
        JSON.stringify({ ok: false, error: e.value, message: e.message, status: e.status }) + '\n',
      );
    process.stderr.write(`stowage: ${e.line()}\n`);
    code = e.exitCode;
  }
  progress.stop();
  if (ac.signal.aborted && code !== EXIT.interrupted) {
    process.stderr.write(`stowage: ${new Interrupted().line()}\n`);
    code = EXIT.interrupted;
  }
  process.exit(code);
}

/** Report a failed item of a batch on stderr (and in the JSON stream). */
function reportFailure(
  ctx: Ctx,
  label: string,
  r: { error?: string; message?: string; status?: number },
) {
  const status = r.status ? ` (HTTP ${r.status})` : '';
  const msg = r.message && r.message !== r.error ? `: ${r.message.replace(/\s+/g, ' ')}` : '';
  ctx.progress.note(`stowage: ${label}: ${r.error}${msg}${status}`);
}

/** The client commands (HTTP only, no data dir): upload, download, info, ls, rm, list, login, completion. */
export function registerClientCommands(program: Command): void {
  withCommon(
    program
      .command('upload')
      .argument('<paths...>', 'files, folders (to your filesystem, under me/) or - for stdin')
      .description(
        'upload files (large ones resumably through tus: run the same command again after an interruption), folders and stdin',
      )
      .option('--name <name>', 'the file name (stdin, or a single file)')
      .option('--to <folder>', 'filesystem folder under me/ that folders go into (default: me/)')
      .option('--resumable', 'upload through tus whatever the size (default from 64 MiB)')
      .addOption(
        new Option('--chunk-size <size>', 'tus chunk size, e.g. 16MiB').env(
          'STOWAGE_CLIENT_CHUNK_SIZE',
        ),
      ),
  ).action(
    (
      paths: string[],
      flags: CommonFlags & { name?: string; to?: string; resumable?: boolean; chunkSize?: string },
    ) =>
      run(flags, async (ctx) => {
        const fileArgs = paths.filter((p) => p !== '-');
        if (flags.name && fileArgs.length > 0 && paths.length > 1)
          throw usageError('--name goes with a single file or stdin');
        const opts = {
          name: flags.name,
          resumable: flags.resumable,
          to: flags.to?.replace(/^\/?(me\/?)?/, '').replace(/\/+$/, '') || undefined,
          chunkSize: parseSize(flags.chunkSize, 'STOWAGE_CLIENT_CHUNK_SIZE', DEFAULT_CHUNK),
          threshold: parseSize(
            process.env.STOWAGE_CLIENT_RESUMABLE_THRESHOLD,
            'STOWAGE_CLIENT_RESUMABLE_THRESHOLD',
            DEFAULT_THRESHOLD,
          ),
        };
        const api = ctx.api();
        const results = await uploadAll(api, paths, opts, {
          progress: ctx.progress,
          signal: ctx.signal,
          emit: (r: UploadResult) => {
            if (!r.ok) {
              reportFailure(ctx, r.path, r);
              if (ctx.flags.json) ctx.out(r, null);
              return;
            }
            const where = r.fs_path ?? r.url;
            const resumed = r.resumed ? ', resumed' : '';
            ctx.out(r, `${r.path}: ${where} (${humanBytes(r.size ?? 0)}${resumed})`);
          },
        });
        return batchExitCode(results);
      }),
  );

  withCommon(
    program
      .command('download')
      .argument('<ids...>', 'file ids or URLs (/u/{id}, /api/file/{id})')
      .description(
        'download files; a partial output file is continued with a Range request; size and SHA-256 checked',
      )
      .option(
        '-o, --output <file>',
        'where to write (one file; - for stdout); default: its name here',
      ),
  ).action((ids: string[], flags: CommonFlags & { output?: string }) =>
    run(flags, async (ctx) => {
      if (flags.output !== undefined && ids.length > 1)
        throw usageError('-o goes with a single file');
      const results: Array<{ ok: boolean; exit_code?: number }> = [];
      for (const id of ids) {
        try {
          const r: DownloadResult = await download(ctx.api(), id, flags.output, ctx);
          results.push(r);
          const how =
            r.received === 0 && r.resumed_from === r.size && r.size > 0
              ? ', already complete'
              : r.resumed_from > 0
                ? `, resumed at ${humanBytes(r.resumed_from)}`
                : '';
          if (r.path !== '-') ctx.out(r, `${r.path}: ${humanBytes(r.size)}${how}`);
          else if (ctx.flags.json) process.stderr.write(JSON.stringify(r) + '\n');
        } catch (err) {
          const e = asClientError(err);
          if (e instanceof Interrupted || ids.length === 1) throw e;
          const r = {
            ok: false,
            id,
            error: e.value,
            message: e.message,
            status: e.status,
            exit_code: e.exitCode,
          };
          results.push(r);
          reportFailure(ctx, id, r);
          if (ctx.flags.json) ctx.out(r, null);
        }
      }
      return batchExitCode(results);
    }),
  );

  withCommon(
    program.command('info').argument('<id>', 'a file id or URL').description("a file's details"),
  ).action((id: string, flags: CommonFlags) =>
    run(flags, async (ctx) => {
      const info = await fileInfo(ctx.api(), id);
      ctx.out(info, infoLines(info).join('\n'));
      return EXIT.ok;
    }),
  );

  withCommon(
    program
      .command('ls')
      .argument('[path]', 'a filesystem folder (docs, me/docs, /me/docs, /{shared id}/sub)')
      .description('your files (GET /api/user/files), or with a path a filesystem folder'),
  ).action((p: string | undefined, flags: CommonFlags) =>
    run(flags, async (ctx) => {
      if (p === undefined) {
        for (const f of await userFiles(ctx.api()))
          ctx.out(f, [f.id, humanBytes(f.size), f.date_upload ?? '', f.name].join('\t'));
        return EXIT.ok;
      }
      const dir = await listDirectory(ctx.api(), p);
      for (const n of dir.children)
        ctx.out(
          n,
          [
            n.type === 'dir' ? 'd' : '-',
            n.type === 'dir' ? '-' : humanBytes(n.file_size),
            n.modified,
            n.type === 'dir' ? `${n.name}/` : n.name,
          ].join('\t'),
        );
      return EXIT.ok;
    }),
  );

  withCommon(
    program.command('rm').argument('<ids...>', 'file ids or URLs').description('delete your files'),
  ).action((ids: string[], flags: CommonFlags) =>
    run(flags, async (ctx) => {
      const results: Array<{ ok: boolean; exit_code?: number }> = [];
      for (const input of ids) {
        try {
          const id = await removeFile(ctx.api(), input);
          results.push({ ok: true });
          ctx.out({ ok: true, id }, `deleted ${id}`);
        } catch (err) {
          const e = asClientError(err);
          if (e instanceof Interrupted) throw e;
          const r = {
            ok: false,
            id: input,
            error: e.value,
            message: e.message,
            status: e.status,
            exit_code: e.exitCode,
          };
          results.push(r);
          reportFailure(ctx, input, r);
          if (ctx.flags.json) ctx.out(r, null);
        }
      }
      return batchExitCode(results);
    }),
  );

  withCommon(
    program
      .command('list')
      .argument('<ids...>', 'file ids or URLs, in order')
      .description('make a list (an album) of files')
      .option('--title <title>', 'the list title'),
  ).action((ids: string[], flags: CommonFlags & { title?: string }) =>
    run(flags, async (ctx) => {
      const l = await createList(ctx.api(), ids, flags.title);
      ctx.out({ ok: true, ...l }, l.url);
      return EXIT.ok;
    }),
  );

  withCommon(
    program
      .command('login')
      .description(
        'check a server URL and API key (GET /api/user) and save them for the client commands (mode 600)',
      )
      .option('--key-stdin', 'read the API key from stdin'),
  ).action((flags: CommonFlags & { keyStdin?: boolean }) =>
    run(flags, async (ctx) => {
      const r = await login(flags);
      ctx.out({ ok: true, ...r }, `logged in to ${r.url} as ${r.username}; saved in ${r.file}`);
      return EXIT.ok;
    }),
  );

  program
    .command('completion')
    .argument('<shell>', 'bash')
    .description('print a shell completion script: eval "$(stowage completion bash)"')
    .action((shell: string) => {
      if (shell !== 'bash') {
        process.stderr.write(`stowage: usage: only bash is supported, not "${shell}"\n`);
        process.exit(EXIT.usage);
      }
      process.stdout.write(bashCompletion(program));
    });
}
