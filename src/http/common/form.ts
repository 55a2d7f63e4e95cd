import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_BUDGET } from './body-budget.js';
import { BodyError } from './body-error.js';
import { acceptBody, closeAfterResponse } from './early-reject.js';
import { readMultipart } from './multipart.js';

export { BodyError };

/**
 * The whole body, up to `maxBytes` (small bodies only: forms and JSON). Over the limit, declared or
 * counted, it is refused at once and the connection closes after the answer (the rest is never
 * read). Bodies read this way share one process-wide memory budget; past it they wait unread.
 */
export async function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    closeAfterResponse(req, res);
    throw new BodyError('too_large', `The request body is over ${maxBytes} bytes`);
  }
  const release = await BODY_BUDGET.reserve(declared >= 0 ? declared : maxBytes, req);
  if (!release) throw new BodyError('unreadable', 'The request was aborted');
  acceptBody(req, res);
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        closeAfterResponse(req, res);
        throw new BodyError('too_large', `The request body is over ${maxBytes} bytes`);
      }
      parts.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    throw new BodyError('unreadable', 'The request body could not be read completely');
  } finally {
    release();
  }
  return Buffer.concat(parts);
}

/**
 * The fields of a form post: multipart/form-data or application/x-www-form-urlencoded (anything
 * else is read as urlencoded, as Go's and JDownloader's clients send it). A repeated field keeps
 * its last value; `multi` lists the names that were repeated (dialects that refuse arrays use it).
 */
export async function readForm(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<{ fields: Record<string, string>; multi: Set<string> }> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const multi = new Set<string>();
  const set = (k: string, v: string) => {
    if (k in fields) multi.add(k);
    fields[k] = v;
  };
  const type = req.headers['content-type'] ?? '';
  if (/^\s*multipart\/form-data/i.test(type)) {
    await readMultipartFields(req, res, maxBytes, set);
  } else {
    const body = await readBody(req, res, maxBytes);
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) set(k, v);
  }
  return { fields, multi };
}

async function readMultipartFields(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  set: (k: string, v: string) => void,
): Promise<void> {
  // File parts are read and dropped: these forms carry text only.
  await readMultipart(req, res, {
    limits: { fieldSize: maxBytes, fields: 200, parts: 200 },
    maxBodyBytes: maxBytes,
    onField: (k, v) => set(k, v),
  });
}
