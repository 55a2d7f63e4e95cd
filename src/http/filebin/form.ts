import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { BodyError, readBody } from '../common/form.js';
import { readMultipart as readParts } from '../common/multipart.js';
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
    file: () => {},
  });
  return form;
}

export interface MultipartHandlers {
  /** Bound on the text fields and framing (file bytes are bounded by their consumer). */
  maxBytes: number;
  field(name: string, value: string): void;
  /**
   * Each file part, in order: return a promise to take the stream (read it to its end and
   * settle), or nothing and the part is dropped.
   */
  file(field: string, stream: Readable, filename: string | undefined): Promise<unknown> | void;
}

/**
 * Read a multipart body part by part, file parts streamed to the handler (never buffered here).
 * A body that is not multipart after all (no boundary), or a malformed one without any file part,
 * is an empty form, as PHP sees it; a file part cut off, a body too large or a client gone reject
 * with a BodyError.
 */
export async function readMultipart(
  req: IncomingMessage,
  res: ServerResponse,
  h: MultipartHandlers,
): Promise<void> {
  let files = 0;
  try {
    await readParts(req, res, {
      limits: { fieldSize: h.maxBytes, fields: MAX_INPUT_VARS, parts: MAX_INPUT_VARS + 100 },
      maxFieldBytes: h.maxBytes,
      onField: (k, v) => h.field(k, v),
      onFile: ({ field, stream, filename }) => {
        files++;
        return h.file(field, stream, filename);
      },
    });
  } catch (err) {
    if (err instanceof BodyError && err.reason === 'malformed' && files === 0) {
      req.resume();
      return;
    }
    throw err;
  }
}
