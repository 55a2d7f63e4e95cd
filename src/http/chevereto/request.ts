import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { BodyError } from '../common/form.js';
import { readMultipart as readParts } from '../common/multipart.js';
import { Base64Decoder, looksLikeUrl } from './base64.js';
import {
  SOURCE_FIELDS,
  type BodyLimits,
  type BodySource,
  type FilePartHandler,
  type ParsedBody,
  type SourceField,
} from './source.js';
import { Spool } from './spool.js';
import { readUrlencoded } from './urlencoded.js';

/** The body of an upload request: the shared types (source.ts), urlencoded (urlencoded.ts), multipart (here). */
export * from './source.js';

/** A string source given as a parameter (query, multipart field): URL or base64. */
export async function stringSource(
  field: SourceField,
  value: string,
  maxFileBytes: number,
  spoolDir: string,
): Promise<BodySource> {
  if (looksLikeUrl(value)) return { kind: 'url', field, url: value.trim() };
  const spool = await Spool.create(maxFileBytes, spoolDir);
  try {
    const dec = new Base64Decoder((b) => spool.write(b));
    dec.push(value);
    dec.end();
    await spool.finish();
    return { kind: 'spool', field, spool, filename: null, base64: true };
  } catch (error) {
    await spool.dispose();
    return { kind: 'invalid', field, error };
  }
}

export async function readChevereto(
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
  onFile: FilePartHandler,
): Promise<ParsedBody> {
  const type = req.headers['content-type'] ?? '';
  if (/^\s*multipart\/form-data/i.test(type)) return readMultipart(req, res, limits, onFile);
  // Anything else (urlencoded, or no type) is read as a form, as PHP's $_REQUEST would.
  return readUrlencoded(req, res, limits);
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data, streamed (the common multipart reader)

async function readMultipart(
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
  onFile: FilePartHandler,
): Promise<ParsedBody> {
  const { spoolDir } = limits;
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let source: BodySource | null = null;
  let imageFilePart = false;
  // Base64 sources given as text fields, decoded to disk while the rest is read.
  const decoding: Promise<unknown>[] = [];
  try {
    await readParts(req, res, {
      limits: {
        fieldSize: limits.maxTextField,
        fields: 100,
        files: 4,
        parts: 200,
        fileSize: limits.maxFileBytes + 1,
      },
      maxBodyBytes: limits.maxBodyBytes,
      onField: (name, value, truncated) => {
        if (!(SOURCE_FIELDS as readonly string[]).includes(name)) {
          fields[name] = value;
          return;
        }
        fields[name] = '';
        if (source) return;
        const field = name as SourceField;
        if (truncated) {
          source = {
            kind: 'invalid',
            field,
            error: new BodyError(
              'too_large',
              `A base64 source in a multipart field is limited to ${limits.maxTextField} bytes; send the file as a file part`,
            ),
          };
          return;
        }
        source = { kind: 'invalid', field, error: null }; // placeholder until decoded
        decoding.push(
          stringSource(field, value, limits.maxFileBytes, spoolDir).then((s) => (source = s)),
        );
      },
      onFile: ({ field: name, stream, filename }) => {
        if (!(SOURCE_FIELDS as readonly string[]).includes(name) || source) return null;
        const field = name as SourceField;
        if (field === 'image') imageFilePart = true;
        const direct = onFile(field, stream, filename ?? '', { ...fields });
        if (direct) {
          // The key was checked before: a rejection is the upload's own error (too large,
          // type...), and the rest of the body is not worth reading.
          source = { kind: 'direct', field, done: direct };
          direct.catch(() => {});
          return direct;
        }
        source = { kind: 'invalid', field, error: null }; // placeholder until spooled
        return spoolPart(field, stream, filename ?? '', limits.maxFileBytes, spoolDir).then(
          (s) => (source = s),
        );
      },
    });
  } catch (err) {
    // Whatever was held on disk goes with the request.
    await Promise.allSettled(decoding);
    const held = source as BodySource | null;
    if (held?.kind === 'spool') await held.spool.dispose();
    throw err;
  }
  await Promise.allSettled(decoding);
  return { fields, source, imageFilePart };
}

/**
 * A file part sent before the key, held on disk until the request has been read. Read with events,
 * not for-await: a part past the limit is drained, never destroyed, and its error reported after
 * the key check. Never rejects; a part cut off disposes of its spool.
 */
async function spoolPart(
  field: SourceField,
  stream: Readable,
  filename: string,
  maxBytes: number,
  spoolDir: string,
): Promise<BodySource> {
  stream.pause();
  let error: unknown = null;
  stream.on('error', (err) => (error ??= err));
  // Listened to at once: a part cut off may close while the spool is being created.
  const closed = new Promise<void>((resolve) => stream.once('close', resolve));
  let spool: Spool;
  try {
    spool = await Spool.create(maxBytes, spoolDir);
  } catch (err) {
    stream.resume();
    return { kind: 'invalid', field, error: err };
  }
  stream.on('data', (chunk: Buffer) => {
    if (error) return;
    try {
      spool.write(chunk);
      if (spool.needsDrain()) {
        stream.pause();
        void spool.drained().then(() => stream.resume());
      }
    } catch (err) {
      error = err;
    }
  });
  stream.resume();
  await closed;
  if (!error) {
    try {
      await spool.finish();
      return { kind: 'spool', field, spool, filename, base64: false };
    } catch (err) {
      error = err;
    }
  }
  await spool.dispose();
  return { kind: 'invalid', field, error };
}
