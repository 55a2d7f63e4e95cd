import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { acceptBody } from '../common/early-reject.js';
import { BodyError } from '../common/form.js';
import { readMultipart as readParts } from '../common/multipart.js';
import { Base64Decoder, Base64Error, looksLikeUrl } from './base64.js';
import { Spool } from './spool.js';

/** The parameters that carry the upload: `source`, and `image` (imgBB's name, an alias). */
export const SOURCE_FIELDS = ['source', 'image'] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/** Where the upload comes from, as far as the body told us. */
export type BodySource =
  /** Held on disk (base64 decoded, or a file part that came before the key). */
  | { kind: 'spool'; field: SourceField; spool: Spool; filename: string | null; base64: boolean }
  /** A file part streamed straight into the core while the request was read. */
  | { kind: 'direct'; field: SourceField; done: Promise<unknown> }
  | { kind: 'url'; field: SourceField; url: string }
  /** A base64 source that failed (the error is reported in Chevereto's order, after the key). */
  | { kind: 'invalid'; field: SourceField; error: unknown };

export interface BodyLimits {
  /** Decoded upload size limit. */
  maxFileBytes: number;
  /** Urlencoded bodies: 4/3 of the size limit and room for escapes and other fields. */
  maxBodyBytes: number;
  /** A base64 source in a multipart text field is held in memory: at most this long. */
  maxTextField: number;
  /** Where spools are written (the data dir's `tmp`): every one is removed when the request ends. */
  spoolDir: string;
}

/**
 * A file part: the handler streams it into the core now (returns the promise) or returns null,
 * and it is spooled to disk until the whole request has been read.
 */
export type FilePartHandler = (
  field: SourceField,
  stream: Readable,
  filename: string,
  fieldsSoFar: Record<string, string>,
) => Promise<unknown> | null;

const FIELD_MAX = 64 * 1024;
const URL_MAX = 8 * 1024;

export interface ParsedBody {
  fields: Record<string, string>;
  source: BodySource | null;
  /** A file part named image was sent (imgBB's field). */
  imageFilePart: boolean;
}

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
// application/x-www-form-urlencoded, streamed

/** Chunks are read as Latin-1 (one code unit per byte): a name or value back to its UTF-8 text. */
function decodeField(raw: string): string {
  return decodeComponent(Buffer.from(raw, 'latin1').toString('utf8'));
}

function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return new URLSearchParams(`v=${raw}`).get('v') ?? raw;
  }
}

/** Percent-decoding for ASCII payloads (base64), chunk by chunk: a split %XX waits for its end. */
class PercentStream {
  private pending = '';
  push(text: string): string {
    let s = this.pending + text;
    this.pending = '';
    const cut = s.lastIndexOf('%');
    if (cut >= 0 && cut > s.length - 3) {
      this.pending = s.slice(cut);
      s = s.slice(0, cut);
    }
    return s
      .replace(/\+/g, ' ')
      .replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  end(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

/** The value of `source`/`image` in a urlencoded body: a URL (kept) or base64 (decoded to disk). */
class SourceValue {
  private mode: 'undecided' | 'url' | 'base64' | 'failed' = 'undecided';
  private raw = '';
  private error: unknown = null;
  private spool: Spool | null = null;
  private decoder: Base64Decoder | null = null;
  private readonly pct = new PercentStream();

  constructor(
    readonly field: SourceField,
    /** Creates the spool, only once the value turns out to be base64 (a URL needs none). */
    private readonly createSpool: () => Promise<Spool>,
  ) {}

  /** Bytes waiting to be written: the caller awaits this between request chunks. */
  async drained(): Promise<void> {
    if (this.spool) await this.spool.drained();
  }

  async push(part: string): Promise<void> {
    if (this.mode === 'failed') return;
    if (this.mode === 'undecided') {
      this.raw += part;
      if (this.raw.length < 32) return;
      await this.decide();
      return;
    }
    if (this.mode === 'url') {
      this.raw += part;
      if (this.raw.length > URL_MAX) this.fail(new Base64Error('invalid'));
      return;
    }
    this.feed(this.pct.push(part));
  }

  private async decide(): Promise<void> {
    if (looksLikeUrl(decodeComponent(this.raw.slice(0, 32)))) {
      this.mode = 'url';
      return;
    }
    this.mode = 'base64';
    this.spool = await this.createSpool();
    this.decoder = new Base64Decoder((b) => this.spool!.write(b));
    const raw = this.raw;
    this.raw = '';
    this.feed(this.pct.push(raw));
  }

  private feed(text: string): void {
    try {
      this.decoder!.push(text);
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.mode = 'failed';
    this.error = err;
    this.raw = '';
  }

  async end(): Promise<BodySource> {
    if (this.mode === 'undecided') await this.decide();
    if (this.mode === 'url') {
      return { kind: 'url', field: this.field, url: decodeComponent(this.raw).trim() };
    }
    if (this.mode === 'base64') {
      try {
        const rest = this.pct.end();
        if (rest) this.decoder!.push(rest);
        this.decoder!.end();
        await this.spool!.finish();
        return {
          kind: 'spool',
          field: this.field,
          spool: this.spool!,
          filename: null,
          base64: true,
        };
      } catch (err) {
        this.fail(err);
      }
    }
    await this.spool?.dispose();
    return { kind: 'invalid', field: this.field, error: this.error };
  }

  async discard(): Promise<void> {
    await this.spool?.dispose();
  }
}

async function readUrlencoded(
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
): Promise<ParsedBody> {
  const tooLarge = () =>
    new BodyError('too_large', `The request body is over ${limits.maxBodyBytes} bytes`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limits.maxBodyBytes) throw tooLarge();
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let source: SourceValue | null = null;
  let done: BodySource | null = null;
  // Created on first need only (a URL or a small form needs no temporary file).
  const createSpool = () => Spool.create(limits.maxFileBytes, limits.spoolDir);

  let inValue = false;
  let key = '';
  let value = '';
  let current: SourceValue | null = null;
  const endPair = async () => {
    if (current) {
      done = await current.end();
      current = null;
    } else if (key) {
      const k = decodeField(key);
      if (k.length <= 256) fields[k] = decodeField(value);
    }
    key = '';
    value = '';
    inValue = false;
  };
  const startValue = () => {
    inValue = true;
    const k = decodeField(key);
    if ((SOURCE_FIELDS as readonly string[]).includes(k) && !source) {
      source = new SourceValue(k as SourceField, createSpool);
      current = source;
      // Its name is remembered as given (the imgBB switch looks at it), its value is the source.
      fields[k] = '';
    }
  };

  acceptBody(req, res);
  let total = 0;
  try {
    for await (const chunk of req) {
      total += (chunk as Buffer).length;
      if (total > limits.maxBodyBytes) throw tooLarge();
      const s = (chunk as Buffer).toString('latin1');
      let i = 0;
      while (i < s.length) {
        if (!inValue) {
          const m = /[=&]/.exec(s.slice(i));
          if (!m) {
            key += s.slice(i);
            if (key.length > 1024) throw new BodyError('malformed', 'A parameter name is too long');
            break;
          }
          key += s.slice(i, i + m.index);
          i += m.index + 1;
          if (m[0] === '=') startValue();
          else await endPair();
          continue;
        }
        const j = s.indexOf('&', i);
        const part = j < 0 ? s.slice(i) : s.slice(i, j);
        if (current) await (current as SourceValue).push(part);
        else {
          value += part;
          if (value.length > FIELD_MAX) throw tooLarge();
        }
        if (j < 0) break;
        i = j + 1;
        await endPair();
      }
      if (current) await (current as SourceValue).drained();
    }
    if (inValue || key) await endPair();
  } catch (err) {
    await (source as SourceValue | null)?.discard();
    if (err instanceof BodyError) throw err;
    throw new BodyError('unreadable', 'The request body could not be read completely');
  }
  return { fields, source: done as BodySource | null, imageFilePart: false };
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
