import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptBody } from '../common/early-reject.js';
import { BodyError } from '../common/form.js';
import { Base64Decoder, Base64Error, looksLikeUrl } from './base64.js';
import {
  SOURCE_FIELDS,
  type BodyLimits,
  type BodySource,
  type ParsedBody,
  type SourceField,
} from './source.js';
import { Spool } from './spool.js';

const FIELD_MAX = 64 * 1024;
const URL_MAX = 8 * 1024;

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

export async function readUrlencoded(
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
