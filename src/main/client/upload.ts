import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import type { Api } from './http.js';
import { encodePath } from './http.js';
import { asClientError, ClientError, EXIT, Interrupted, usageError } from './errors.js';
import { humanBytes, type Progress } from './progress.js';
import { tusUpload } from './tus.js';

export interface UploadOptions {
  name?: string;
  resumable?: boolean;
  /** Filesystem folder under `me/` that uploaded folders go into (default: the root). */
  to?: string;
  threshold: number;
  chunkSize: number;
}

/** What one upload did: a line of `--json` output. */
export interface UploadResult {
  ok: boolean;
  /** The local path (`-` for stdin). */
  path: string;
  /** The file id (files), absent for filesystem nodes. */
  id?: string;
  /** Where it is: the file's page, or the node's filesystem URL. */
  url?: string;
  /** Filesystem path of a folder's file, e.g. `/me/photos/a.jpg`. */
  fs_path?: string;
  size?: number;
  method?: 'put' | 'tus' | 'filesystem';
  resumed?: boolean;
  error?: string;
  message?: string;
  status?: number;
  /** The exit code this failure alone would give (see errors.ts). */
  exit_code?: number;
}

/** Count the bytes flowing through, for the progress display. */
function counter(onBytes: (n: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
}

/** A streaming PUT body (never buffered) from a Node stream, counted. */
function streamBody(source: Readable, onBytes: (n: number) => void): ReadableStream {
  const counted = counter(onBytes);
  pipeline(source, counted, () => {
    // errors reach fetch through the web stream, which fails with them
  });
  return Readable.toWeb(counted) as ReadableStream;
}

async function put(
  api: Api,
  route: string,
  source: Readable,
  size: number | null,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
  if (size !== null) headers['Content-Length'] = String(size);
  try {
    return await api.json<Record<string, unknown>>(route, {
      method: 'PUT',
      body: streamBody(source, onBytes),
      headers,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw new Interrupted();
    throw err;
  } finally {
    source.destroy();
  }
}

/** Files below a folder (symbolic links to files are followed, to folders not: no loops). */
async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
    else if (e.isSymbolicLink()) {
      const st = await fs.promises.stat(p).catch(() => null);
      if (st?.isFile()) yield p;
    }
  }
}

/** Upload files, folders (to the filesystem API) and stdin (`-`); one result per file. */
export async function uploadAll(
  api: Api,
  inputs: string[],
  opts: UploadOptions,
  ctx: { progress: Progress; signal: AbortSignal; emit: (r: UploadResult) => void },
): Promise<UploadResult[]> {
  const results: UploadResult[] = [];
  const record = (r: UploadResult) => {
    results.push(r);
    ctx.emit(r);
  };
  const fail = (p: string, err: unknown) => {
    const e = asClientError(err);
    if (e instanceof Interrupted) throw e;
    record({
      ok: false,
      path: p,
      error: e.value,
      message: e.message,
      status: e.status,
      exit_code: e.exitCode,
    });
  };
  if (inputs.filter((i) => i === '-').length > 1) throw usageError('stdin (-) can be read once');

  for (const input of inputs) {
    if (ctx.signal.aborted) throw new Interrupted();
    if (input === '-') {
      try {
        record(await uploadStdin(api, opts, ctx));
      } catch (err) {
        fail('-', err);
      }
      continue;
    }
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(input);
    } catch (err) {
      fail(input, err);
      continue;
    }
    if (st.isDirectory()) {
      const top = path.basename(path.resolve(input));
      const base = [opts.to ?? '', top].filter(Boolean).join('/');
      let files: AsyncGenerator<string>;
      try {
        files = walk(input);
        for await (const f of files) {
          if (ctx.signal.aborted) throw new Interrupted();
          const rel = path.relative(input, f).split(path.sep).join('/');
          try {
            record(await uploadToFilesystem(api, f, `${base}/${rel}`, opts, ctx));
          } catch (err) {
            fail(f, err);
          }
        }
      } catch (err) {
        fail(input, err);
      }
    } else if (st.isFile()) {
      try {
        record(await uploadFile(api, input, st.size, opts, ctx));
      } catch (err) {
        fail(input, err);
      }
    } else fail(input, usageError(`${input} is not a file or a folder`));
  }
  return results;
}

async function uploadFile(
  api: Api,
  file: string,
  size: number,
  opts: UploadOptions,
  ctx: { progress: Progress; signal: AbortSignal },
): Promise<UploadResult> {
  const name = opts.name ?? path.basename(file);
  if (opts.resumable || size >= opts.threshold) {
    const task = ctx.progress.task(name, size);
    try {
      const r = await tusUpload(
        api,
        { path: file, name, size },
        {
          chunkSize: opts.chunkSize,
          signal: ctx.signal,
          onProgress: (n) => task.update(n),
          onResume: (offset) =>
            ctx.progress.note(`${name}: resuming at ${humanBytes(offset)} of ${humanBytes(size)}`),
        },
      );
      return {
        ok: true,
        path: file,
        id: r.id,
        url: `${api.base}/u/${r.id}`,
        size,
        method: 'tus',
        resumed: r.resumed,
      };
    } finally {
      task.end();
    }
  }
  const task = ctx.progress.task(name, size);
  try {
    const source = fs.createReadStream(file);
    const body = await put(
      api,
      `/api/file/${encodeURIComponent(name)}`,
      source,
      size,
      ctx.signal,
      (n) => task.update(n),
    );
    const id = String(body.id);
    return { ok: true, path: file, id, url: `${api.base}/u/${id}`, size, method: 'put' };
  } finally {
    task.end();
  }
}

async function uploadToFilesystem(
  api: Api,
  file: string,
  dest: string,
  opts: UploadOptions,
  ctx: { progress: Progress; signal: AbortSignal },
): Promise<UploadResult> {
  const st = await fs.promises.stat(file);
  if (opts.resumable || st.size >= opts.threshold)
    return importLarge(api, file, dest, st, opts, ctx);
  const task = ctx.progress.task(dest, st.size);
  try {
    const q = `?make_parents=true&modified=${encodeURIComponent(st.mtime.toISOString())}`;
    const route = `/api/filesystem/me/${encodePath(dest)}`;
    const body = await put(api, route + q, fs.createReadStream(file), st.size, ctx.signal, (n) =>
      task.update(n),
    );
    const fsPath = typeof body.path === 'string' ? body.path : `/me/${dest}`;
    return {
      ok: true,
      path: file,
      fs_path: fsPath,
      url: api.url(route),
      size: typeof body.file_size === 'number' ? body.file_size : st.size,
      method: 'filesystem',
    };
  } finally {
    task.end();
  }
}

/** A form POST to a filesystem path; `ignore` lists error values that count as done. */
async function fsAction(
  api: Api,
  fsPath: string,
  form: Record<string, string>,
  ignore: string[] = [],
) {
  try {
    await api.ok(`/api/filesystem/me/${encodePath(fsPath)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  } catch (err) {
    if (!(err instanceof ClientError && ignore.includes(err.value))) throw err;
  }
}

/**
 * A large file of a folder, resumably: through tus as a file, then imported into its folder (no
 * bytes copied) in place of a node of that name, its modification time set, and the file itself
 * deleted. Its bytes count twice against the storage quota for a moment.
 */
async function importLarge(
  api: Api,
  file: string,
  dest: string,
  st: fs.Stats,
  opts: UploadOptions,
  ctx: { progress: Progress; signal: AbortSignal },
): Promise<UploadResult> {
  const name = path.posix.basename(dest);
  const dir = path.posix.dirname(dest);
  const task = ctx.progress.task(dest, st.size);
  let id: string;
  try {
    ({ id } = await tusUpload(
      api,
      { path: file, name, size: st.size },
      {
        chunkSize: opts.chunkSize,
        signal: ctx.signal,
        onProgress: (n) => task.update(n),
        onResume: (offset) =>
          ctx.progress.note(`${dest}: resuming at ${humanBytes(offset)} of ${humanBytes(st.size)}`),
      },
    ));
  } finally {
    task.end();
  }
  await fsAction(api, dir, { action: 'mkdirall' }, ['node_already_exists']);
  const files = JSON.stringify([id]);
  try {
    await fsAction(api, dir, { action: 'import', files });
  } catch (err) {
    if (!(err instanceof ClientError && err.value === 'node_already_exists')) throw err;
    // As PUT does: the new content replaces the node of that name.
    await api.ok(`/api/filesystem/me/${encodePath(dest)}`, { method: 'DELETE' });
    await fsAction(api, dir, { action: 'import', files });
  }
  await fsAction(api, dest, { action: 'update', modified: st.mtime.toISOString() });
  await api.ok(`/api/file/${encodeURIComponent(id)}`, { method: 'DELETE' });
  return {
    ok: true,
    path: file,
    fs_path: `/me/${dest}`,
    url: api.url(`/api/filesystem/me/${encodePath(dest)}`),
    size: st.size,
    method: 'tus',
  };
}

async function uploadStdin(
  api: Api,
  opts: UploadOptions,
  ctx: { progress: Progress; signal: AbortSignal },
): Promise<UploadResult> {
  if (opts.resumable)
    throw usageError('stdin cannot be uploaded resumably (its size is not known in advance)');
  const name = opts.name ?? 'stdin';
  const task = ctx.progress.task(name, null);
  let sent = 0;
  try {
    const body = await put(
      api,
      `/api/file/${encodeURIComponent(name)}`,
      process.stdin,
      null,
      ctx.signal,
      (n) => {
        sent = n;
        task.update(n);
      },
    );
    const id = String(body.id);
    const size = typeof body.size === 'number' ? body.size : sent;
    return { ok: true, path: '-', id, url: `${api.base}/u/${id}`, size, method: 'put' };
  } finally {
    task.end();
  }
}

/** The exit code for a batch: 0 all done, 4 some failed, else the first failure's code. */
export function batchExitCode(results: Array<{ ok: boolean; exit_code?: number }>): number {
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return EXIT.ok;
  if (failed.length < results.length) return EXIT.partial;
  return failed[0]!.exit_code ?? EXIT.network;
}
