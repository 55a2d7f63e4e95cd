import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ListInput } from '../../core/lists.js';
import { readBody } from '../common/form.js';
import { PdFailure } from './errors.js';

/**
 * 10000 files (the most a list may have) with descriptions of ~350 characters each fit; anything
 * bigger is refused (413 request_too_large) before it is held, as soon as it is declared or read.
 * (24 concurrent bodies at this cap raised the peak RSS by ~120 MB, garbage included.)
 */
export const LIST_BODY_MAX = 4 * 1024 * 1024;

const PARSE_FAILED = new PdFailure({
  status: 422,
  value: 'json_parse_failed',
  message: 'The JSON object in the request body could not be read.',
});

/**
 * A list's JSON body, whatever its Content-Type (the web UI sends text/plain). Wrong types are a
 * parse failure, as in pixeldrain's typed decoder.
 */
export async function readListBody(req: FastifyRequest, reply: FastifyReply): Promise<ListInput> {
  const raw = await readBody(req.raw, reply.raw, LIST_BODY_MAX);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw PARSE_FAILED;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw PARSE_FAILED;
  const b = body as Record<string, unknown>;
  const { title, anonymous, files } = b;
  if (title !== undefined && title !== null && typeof title !== 'string') throw PARSE_FAILED;
  if (anonymous !== undefined && anonymous !== null && typeof anonymous !== 'boolean')
    throw PARSE_FAILED;
  if (files !== undefined && files !== null && !Array.isArray(files)) throw PARSE_FAILED;
  const entries = ((files ?? []) as unknown[]).map((f) => {
    if (typeof f !== 'object' || f === null) throw PARSE_FAILED;
    const { id, description } = f as Record<string, unknown>;
    if (typeof id !== 'string') throw PARSE_FAILED;
    if (description !== undefined && description !== null && typeof description !== 'string')
      throw PARSE_FAILED;
    return { id, description: (description as string | null | undefined) ?? '' };
  });
  return {
    title: (title as string | null | undefined) ?? undefined,
    anonymous: anonymous === true,
    files: entries,
  };
}
