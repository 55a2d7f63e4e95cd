import { Busboy, type BusboyInstance } from '@fastify/busboy';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { acceptBody } from './early-reject.js';
import { BodyError } from './body-error.js';

/** One file part, handed to the consumer as a stream (never buffered here). */
export interface FilePart {
  /** The part's field name (`file`, `file[1]`, `source`...). */
  field: string;
  /** The file name the client gave (UTF-8, RFC 5987 `filename*`, or Latin-1), without its path. */
  filename: string | undefined;
  mimeType: string;
  stream: Readable;
}

export interface MultipartOptions {
  /** Counts and sizes busboy enforces; parts past a count are skipped (read and dropped). */
  limits: { fields: number; parts: number; fieldSize: number; files?: number; fileSize?: number };
  /** The whole body, framing and files included (default: unbounded, the consumers bound files). */
  maxBodyBytes?: number;
  /** Text fields, names and values together. */
  maxFieldBytes?: number;
  /** A text field; `truncated` when its value passed `limits.fieldSize`. Throw to stop reading. */
  onField?(name: string, value: string, truncated: boolean): void;
  /**
   * A file part. Return a promise to take the stream (read it to its end, and settle); return
   * nothing and the part is skipped. A rejection stops the read with that error, unless the body
   * itself failed (then the body's error wins: a cut-off part is the client's fault, not ours).
   */
  onFile?(part: FilePart): Promise<unknown> | null | undefined | void;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes (as a Latin-1 string) to text: UTF-8 if they are valid UTF-8, else Latin-1 as sent. */
function bytesToText(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** The last path segment, as busboy does (a client may send `C:\dir\a.txt` or `../a.txt`). */
function lastSegment(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  return base === '.' || base === '..' ? '' : base;
}

/**
 * The file name of a part's raw `Content-Disposition` (a Latin-1 string, one char per byte):
 * `filename*=charset'lang'%XX` (RFC 5987; wins over `filename`, RFC 6266), else `filename=`
 * quoted or not, whose bytes are UTF-8 (as browsers and curl send them) or, if they are not valid
 * UTF-8, Latin-1. Undefined when the part has no file name.
 */
export function dispositionFilename(raw: string): string | undefined {
  const ext = /(?:^|;)\s*filename\*\s*=\s*"?([^'"; ]*)'[^']*'([^;"\s]*)/i.exec(raw);
  if (ext) {
    const charset = ext[1]!.toLowerCase();
    const bytes = Buffer.from(
      ext[2]!.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) =>
        String.fromCharCode(parseInt(h, 16)),
      ),
      'latin1',
    );
    const text =
      charset === 'utf-8' || charset === 'utf8' ? bytesToText(bytes) : bytes.toString('latin1');
    return lastSegment(text);
  }
  const m = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(raw);
  if (!m) return undefined;
  const value = m[1] !== undefined ? m[1].replace(/\\(["\\])/g, '$1') : m[2]!.trim();
  return lastSegment(bytesToText(Buffer.from(value, 'latin1')));
}

interface DicerPart {
  prependListener(ev: 'header', fn: (h: Record<string, string[] | undefined>) => void): unknown;
}
interface DicerLike {
  on(ev: 'part', fn: (part: DicerPart) => void): unknown;
}

/**
 * Read a multipart/form-data body part by part. Text fields go to `onField`, file parts to
 * `onFile` as streams. Every stream involved (the request, busboy, each file part) has an
 * `'error'` listener; on any failure (body cut off, malformed, too large, client gone, a consumer's
 * error) every file stream still open is destroyed, the promise waits until each consumer has
 * settled (so they have discarded what they staged) and rejects: with a {@link BodyError} when the
 * body was at fault, else with the consumer's error.
 */
export function readMultipart(
  req: IncomingMessage,
  res: ServerResponse,
  opts: MultipartOptions,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (opts.maxBodyBytes !== undefined && declared > opts.maxBodyBytes) {
      reject(new BodyError('too_large', `The request body is over ${opts.maxBodyBytes} bytes`));
      return;
    }
    let bb: BusboyInstance;
    try {
      bb = new Busboy({
        headers: req.headers as { 'content-type': string },
        limits: { ...opts.limits, fieldNameSize: 1024 },
      });
    } catch (err) {
      reject(new BodyError('malformed', `The multipart form could not be parsed: ${String(err)}`));
      return;
    }
    // The raw Content-Disposition of the part being read: busboy decodes `filename=` in a fixed
    // way and ignores `filename*` after it, so the name is taken from the header as sent.
    let disposition: string | undefined;
    const dicer = (bb as unknown as { _parser?: { parser?: DicerLike } })._parser?.parser;
    dicer?.on('part', (part) =>
      part.prependListener('header', (h) => (disposition = h['content-disposition']?.[0])),
    );

    const open = new Set<Readable>();
    const consumers: Promise<unknown>[] = [];
    let bodyFailed = false;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.off('data', count);
      // Let the rest of the body go (the caller answers, then closes the connection).
      req.resume();
      const cause = err instanceof Error ? err : new Error(String(err));
      for (const s of open) s.destroy(cause);
      void Promise.allSettled(consumers).then(() => reject(err));
    };
    const bodyFail = (err: BodyError) => {
      bodyFailed = true;
      fail(err);
    };

    let size = 0;
    const count = (c: Buffer) => {
      size += c.length;
      if (opts.maxBodyBytes !== undefined && size > opts.maxBodyBytes)
        bodyFail(new BodyError('too_large', `The request body is over ${opts.maxBodyBytes} bytes`));
    };
    let fieldBytes = 0;
    bb.on('field', (name: string, value: string, _nameTruncated: boolean, truncated: boolean) => {
      if (failed) return;
      fieldBytes += name.length + value.length;
      if (opts.maxFieldBytes !== undefined && fieldBytes > opts.maxFieldBytes) {
        bodyFail(
          new BodyError('too_large', `The form fields are over ${opts.maxFieldBytes} bytes`),
        );
        return;
      }
      try {
        opts.onField?.(name, value, truncated);
      } catch (err) {
        fail(err);
      }
    });
    bb.on(
      'file',
      (
        field: string,
        stream: Readable,
        filename: string | undefined,
        _enc: string,
        mime: string,
      ) => {
        // Busboy emits a cut-off part's error on its stream; the body's own 'error' comes first.
        stream.on('error', () => {});
        if (failed) {
          stream.resume();
          return;
        }
        open.add(stream);
        const forget = () => open.delete(stream);
        stream.once('end', forget).once('close', forget);
        const name = disposition !== undefined ? dispositionFilename(disposition) : filename;
        let taken: Promise<unknown> | null | undefined | void;
        try {
          taken = opts.onFile?.({ field, filename: name, mimeType: mime, stream });
        } catch (err) {
          taken = Promise.reject(err);
        }
        if (!taken) {
          stream.resume();
          return;
        }
        consumers.push(
          taken.catch((err: unknown) => {
            stream.resume();
            if (bodyFailed)
              bodyFail(new BodyError('unreadable', 'A file part of the form was cut off'));
            else fail(err);
          }),
        );
      },
    );
    bb.on('error', (err: Error) =>
      bodyFail(new BodyError('malformed', `The multipart form could not be read: ${err.message}`)),
    );
    // @fastify/busboy can stall for good on a boundary line followed by garbage (`--b` + `x`, then
    // more than its buffer): it neither finishes nor fails and stops taking the body, so the
    // request sits paused. A parser holding the body back while no part is open (nothing of ours
    // is slow to read) is stuck on a malformed body.
    let parsed = false;
    let quiet = 0;
    let seen = 0;
    const check = setInterval(() => {
      if (parsed || failed) return clearInterval(check);
      const read = req.socket?.bytesRead ?? 0;
      const stuck = open.size === 0 && req.readableFlowing === false && read === seen;
      seen = read;
      quiet = stuck ? quiet + 1 : 0;
      if (quiet < 3) return;
      clearInterval(check);
      bodyFail(
        new BodyError(
          'malformed',
          'The multipart form could not be read: a boundary is followed by garbage',
        ),
      );
    }, 250);
    check.unref();
    bb.on('finish', () => {
      parsed = true;
      if (failed) return;
      void Promise.all(consumers).then(() => {
        if (!failed) resolve();
      });
    });
    req.on('error', () => bodyFail(new BodyError('unreadable', 'The request could not be read')));
    req.on('aborted', () => bodyFail(new BodyError('unreadable', 'The request was aborted')));
    req.on('close', () => {
      if (!req.complete) bodyFail(new BodyError('unreadable', 'The request was aborted'));
    });
    req.on('data', count);
    acceptBody(req, res);
    req.pipe(bb);
  });
}
