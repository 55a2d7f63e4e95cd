import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorFromResponse, fileIdFrom, type Api } from './http.js';
import { asClientError, ClientError, EXIT, Interrupted, usageError } from './errors.js';
import type { Progress } from './progress.js';

export interface FileInfo {
  id: string;
  name: string;
  size: number;
  mime_type?: string;
  hash_sha256?: string;
  date_upload?: string;
  [k: string]: unknown;
}

export interface DownloadResult {
  ok: true;
  id: string;
  name: string;
  /** The output file (`-` for stdout). */
  path: string;
  size: number;
  /** Bytes that were already there (a resumed download), 0 for a fresh one. */
  resumed_from: number;
  /** Bytes received now. */
  received: number;
  sha256?: string;
}

/** A file name safe to create in the current folder from a server-given name. */
export function safeFileName(name: string, fallback: string): string {
  const base = name
    .replace(/[\\/]/g, '_')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/^\.+/, '')
    .trim();
  return base || fallback;
}

/** SHA-256 of a file's first `n` bytes (a partial download's part already on disk). */
async function hashPrefix(file: string, n: number) {
  const h = createHash('sha256');
  if (n > 0)
    for await (const c of fs.createReadStream(file, { start: 0, end: n - 1 }))
      h.update(c as Buffer);
  return h;
}

/**
 * Download a file by id or URL to `output` (default: its name in the current folder). A shorter
 * existing output is a partial download: it continues with a Range request. The size, and the
 * SHA-256 when the server gives it, are checked at the end.
 */
export async function download(
  api: Api,
  input: string,
  output: string | undefined,
  ctx: { progress: Progress; signal: AbortSignal },
): Promise<DownloadResult> {
  const id = fileIdFrom(input);
  if (!id || id.includes('/')) throw usageError(`not a file id or URL: "${input}"`);
  const idPath = `/api/file/${encodeURIComponent(id)}`;
  const info = await api.json<FileInfo>(`${idPath}/info`, { signal: ctx.signal });
  const toStdout = output === '-';
  const out = output ?? safeFileName(info.name, id);

  let have = 0;
  if (!toStdout) {
    try {
      const st = await fs.promises.stat(out);
      if (!st.isFile()) throw usageError(`${out} exists and is not a file`);
      have = st.size;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
    if (have > info.size)
      throw usageError(
        `${out} is larger (${have} bytes) than the file (${info.size}); remove it or choose another -o`,
      );
  }
  const expected =
    info.hash_sha256 && /^[0-9a-f]{64}$/.test(info.hash_sha256) ? info.hash_sha256 : null;
  const task = ctx.progress.task(toStdout ? info.name : out, info.size, have);
  try {
    let received = 0;
    let from = have;
    if (have < info.size || info.size === 0) {
      const headers: Record<string, string> = {};
      if (have > 0) headers.Range = `bytes=${have}-`;
      let res: Response;
      try {
        res = await api.raw(`${idPath}?download`, { headers, signal: ctx.signal });
      } catch (err) {
        if (ctx.signal.aborted) throw new Interrupted();
        throw err;
      }
      if (res.status === 416 && have > 0) {
        await res.body?.cancel();
        throw new ClientError(
          'range_not_satisfiable',
          `the server refused to continue at byte ${have}`,
          EXIT.network,
          416,
        );
      }
      if (!res.ok) throw await errorFromResponse(res);
      if (res.status === 206) {
        const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
        if (!m || Number(m[1]) !== have) {
          await res.body?.cancel();
          throw new ClientError(
            'bad_range',
            'the server answered another range than asked',
            EXIT.network,
            206,
          );
        }
      } else from = 0; // a whole answer: start over
      if (!res.body) throw new ClientError('bad_response', 'the answer has no body', EXIT.network);
      const hash =
        expected && !toStdout
          ? await hashPrefix(out, from)
          : expected
            ? createHash('sha256')
            : null;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          hash?.update(chunk);
          task.update(from + received);
          cb(null, chunk);
        },
      });
      const sink = toStdout
        ? process.stdout
        : fs.createWriteStream(out, { flags: from > 0 ? 'a' : 'w' });
      try {
        await pipeline(
          Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
          count,
          sink,
          {
            signal: ctx.signal,
            end: !toStdout,
          },
        );
      } catch (err) {
        if (ctx.signal.aborted) throw new Interrupted();
        // The output could not be written (no such folder, disk full…): a local problem.
        if ((err as { syscall?: string }).syscall) throw asClientError(err);
        throw new ClientError(
          'network_error',
          `the download broke off: ${(err as Error).message}`,
          EXIT.network,
        );
      }
      const total = from + received;
      if (total !== info.size)
        throw new ClientError(
          'size_mismatch',
          `got ${total} bytes, expected ${info.size}`,
          EXIT.network,
        );
      const sum = hash?.digest('hex');
      if (expected && sum && sum !== expected)
        throw new ClientError(
          'checksum_mismatch',
          `SHA-256 ${sum}, expected ${expected}`,
          EXIT.network,
        );
      return {
        ok: true,
        id,
        name: info.name,
        path: out,
        size: info.size,
        resumed_from: from,
        received,
        ...(sum ? { sha256: sum } : {}),
      };
    }
    // Already all there: check it.
    const sum = expected ? (await hashPrefix(out, have)).digest('hex') : undefined;
    if (expected && sum !== expected)
      throw new ClientError(
        'checksum_mismatch',
        `${out} has the file's size but not its content; remove it or choose another -o`,
        EXIT.usage,
      );
    return {
      ok: true,
      id,
      name: info.name,
      path: path.normalize(out),
      size: info.size,
      resumed_from: have,
      received: 0,
      ...(sum ? { sha256: sum } : {}),
    };
  } finally {
    task.end();
  }
}
