import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FsStat } from './page-types.js';

export type PageStat =
  { ok: true; stat: FsStat } | { ok: false; status: number; value: string; message: string };

/**
 * The stat of `/{segments…}` as the visitor may see it: the JSON of
 * `GET /api/filesystem/{path}?stat` (pixeldrain's `window.initial_node`).
 *
 * TODO(filesystem): build it with the API module's own stat function (src/http/pixeldrain/
 * filesystem/) once it is exported. Until then the page asks the API in process (`inject`, no
 * socket) with the visitor's own credentials and address, so the page and the API can never
 * disagree on what a visitor may see.
 */
export async function statForPage(
  app: FastifyInstance,
  req: FastifyRequest,
  segments: readonly string[],
): Promise<PageStat> {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const name of ['cookie', 'authorization', 'user-agent'] as const) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  const res = await app.inject({
    method: 'GET',
    url: `/api/filesystem/${segments.map(encodeURIComponent).join('/')}?stat`,
    headers,
    remoteAddress: req.ip,
  });
  let body: unknown;
  try {
    body = res.json();
  } catch {
    body = null;
  }
  if (res.statusCode === 200 && isStat(body)) return { ok: true, stat: body };
  const e = (body ?? {}) as { value?: unknown; message?: unknown };
  return {
    ok: false,
    status: res.statusCode === 200 ? 500 : res.statusCode,
    value: typeof e.value === 'string' ? e.value : 'internal',
    message: typeof e.message === 'string' ? e.message : '',
  };
}

function isStat(v: unknown): v is FsStat {
  const s = v as Partial<FsStat> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    Array.isArray(s.path) &&
    s.path.length > 0 &&
    typeof s.base_index === 'number' &&
    Array.isArray(s.children) &&
    typeof s.permissions === 'object'
  );
}
