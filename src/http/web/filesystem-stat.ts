import type { FastifyRequest } from 'fastify';
import { parseRawPath } from '../../core/filesystem/index.js';
import type { Core } from '../../core/index.js';
import { callerOf, statFor, toFsPdError } from '../pixeldrain/filesystem/index.js';
import type { FsStat } from './page-types.js';

export type PageStat =
  { ok: true; stat: FsStat } | { ok: false; status: number; value: string; message: string };

/**
 * The stat of `/{segments…}` as this visitor may see it: the JSON `GET /api/filesystem/{path}?stat`
 * answers (the API's own `statFor`, with the request's credentials), or the API's error.
 */
export async function statForPage(
  core: Core,
  req: FastifyRequest,
  segments: readonly string[],
): Promise<PageStat> {
  try {
    const p = parseRawPath(`/${segments.map(encodeURIComponent).join('/')}`);
    const caller = await callerOf(core, req, p.bucket);
    return { ok: true, stat: (await statFor(core, caller, p)) as unknown as FsStat };
  } catch (err) {
    const e = toFsPdError(err);
    return { ok: false, status: e.status, value: e.value, message: e.message };
  }
}
