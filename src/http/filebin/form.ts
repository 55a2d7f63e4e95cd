import Busboy from 'busboy';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { acceptBody } from '../common/early-reject.js';
import { BodyError, readBody } from '../common/form.js';
import { FbError } from './errors.js';
import { MAX_INPUT_VARS } from './respond.js';

/**
 * A form as PHP sees it: `name[...]` fields build arrays (only their values count, in request
 * order: `ids[1]=a`, `ids[]=a`, `ids[a]=a` alike), others are scalars (the last one wins).
 */
export class PhpForm {
  private readonly values = new Map<string, string | string[]>();

  add(rawName: string, value: string): void {
    const m = /^([^[]+)\[[^\]]*\](?:\[[^\]]*\])*$/.exec(rawName);
    if (!m) {
      this.values.set(rawName, value);
      return;
    }
    const cur = this.values.get(m[1]!);
    if (Array.isArray(cur)) cur.push(value);
    else this.values.set(m[1]!, [value]);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A scalar field (undefined if absent); an array there is `input/invalid-form-field`. */
  scalar(name: string): string | undefined {
    const v = this.values.get(name);
    if (Array.isArray(v)) {
      throw new FbError('input/invalid-form-field', `Invalid input in field ${name}`);
    }
    return v;
  }

  /** An array field's values (undefined if absent); a scalar there is `input/invalid-form-field`. */
  array(name: string): string[] | undefined {
    const v = this.values.get(name);
    if (v === undefined || Array.isArray(v)) return v;
    throw new FbError('input/invalid-form-field', 'Invalid input', { key: name, ret: v });
  }
}

/** The field name without its index: `file[7]` → `file` (FileBin's upload-verify key). */
export function baseField(name: string): string {
  const i = name.indexOf('[');
  return i > 0 ? name.slice(0, i) : name;
}

const isMultipart = (req: IncomingMessage) =>
  /^\s*multipart\/form-data/i.test(req.headers['content-type'] ?? '');

/** A form without files (any file part is read and dropped): multipart or urlencoded. */
export async function readPhpForm(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  form = new PhpForm(),
): Promise<PhpForm> {
  if (!isMultipart(req)) {
    const body = await readBody(req, res, maxBytes);
    let n = 0;
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
      if (++n > MAX_INPUT_VARS) break;
      form.add(k, v);
    }
    return form;
  }
  await readMultipart(req, res, {
    maxBytes,
    field: (k, v) => form.add(k, v),
    file: (_field, stream) => {
      stream.resume();
    },
  });
  return form;
}

export interface MultipartHandlers {
  /** Bound on the text fields and framing (file bytes are bounded by their consumer). */
  maxBytes: number;
  field(name: string, value: string): void;
  /** Each file part, in order; the consumer must read or resume the stream. */
  file(field: string, stream: Readable, filename: string | undefined): void;
}

/** Read a multipart body part by part, file parts streamed to the handler (never buffered here). */
export function readMultipart(
  req: IncomingMessage,
  res: ServerResponse,
  h: MultipartHandlers,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({
        headers: req.headers,
        limits: { fieldSize: h.maxBytes, fields: MAX_INPUT_VARS, parts: MAX_INPUT_VARS + 100 },
      });
    } catch {
      // No boundary, or not multipart after all: no fields (PHP sees an empty POST).
      req.resume();
      resolve();
      return;
    }
    acceptBody(req, res);
    let fieldBytes = 0;
    bb.on('field', (k, v) => {
      fieldBytes += k.length + v.length;
      if (fieldBytes > h.maxBytes) {
        bb.destroy();
        reject(new BodyError('too_large', `The form fields are over ${h.maxBytes} bytes`));
        return;
      }
      h.field(k, v);
    });
    bb.on('file', (name, stream, info) => h.file(name, stream, info.filename));
    bb.on('close', () => resolve());
    // A malformed or empty multipart body (`--boundary--`) is an empty form, as in PHP.
    bb.on('error', () => resolve());
    req.on('aborted', () => reject(new BodyError('unreadable', 'The request was aborted')));
    req.on('error', (err) => bb.destroy(err));
    req.pipe(bb);
  });
}
