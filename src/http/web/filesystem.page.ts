import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { statForPage } from './filesystem-stat.js';
import type { Pages } from './pages.js';
import { DIRECTORY } from './schemas.js';
import { originOf } from './sharex.js';

/**
 * /d/{bucket}/{path…}: the directory browser of the filesystem API (spec 5, 7.1). `/d/me` is the
 * visitor's own tree (a login first), `/d/{id}` a shared node. The page is rendered with the
 * path's stat, which the first script also sets as pixeldrain's `window.initial_node`.
 */
export function registerFilesystemPage(app: FastifyInstance, pages: Pages): void {
  const { core, config } = pages;

  app.get('/d/*', { schema: DIRECTORY }, async (req: FastifyRequest, reply: FastifyReply) => {
    const segments = segmentsOf(req.url);
    if (segments === null) return notFound(req, reply, pages);
    if (segments.length === 0) return reply.redirect('/d/me', 303);
    const visitor = await pages.visitor(req);
    if (segments[0] === 'me' && !visitor) {
      return reply.redirect(`/login?redirect=${encodeURIComponent(req.url)}`, 303);
    }
    const result = await statForPage(core, req, segments);
    if (!result.ok) {
      if (result.status === 401 && segments[0] === 'me')
        return reply.redirect(`/login?redirect=${encodeURIComponent(req.url)}`, 303);
      if (result.status === 451)
        return pages.sendError(
          req,
          reply,
          451,
          'Unavailable for legal reasons',
          'This content was taken down.',
        );
      if (result.status >= 500) throw new Error(`filesystem stat failed: ${result.value}`);
      // Not found, or not the visitor's to see: the same answer, so nothing leaks.
      return notFound(req, reply, pages);
    }
    const stat = result.stat;
    const node = stat.path[stat.base_index] ?? stat.path[stat.path.length - 1]!;
    const title = node.path === '/me' ? 'My files' : node.name;
    const common = await pages.common(req, visitor);
    return pages.send(
      reply,
      'filesystem',
      { ...common, initial_node: stat, origin: originOf(req, config) },
      {
        title: `${title} ~ ${config.siteName}`,
        globals: [
          ['api_endpoint', '/api'],
          ['initial_node', stat],
          ['user_authenticated', common.user !== null],
        ],
        headers: { 'X-Robots-Tag': 'noindex, nofollow' },
      },
    );
  });
}

/**
 * The path's components, each decoded on its own (`/d/me/a%2Fb` is one name holding a slash,
 * which no node can have); null for an address that names nothing.
 */
export function segmentsOf(url: string): string[] | null {
  const pathname = url.split('?')[0]!.slice('/d/'.length);
  const out: string[] = [];
  for (const raw of pathname.split('/')) {
    if (raw === '') continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '.' || s === '..' || s.includes('/') || s.includes('\0')) return null;
    out.push(s);
  }
  return out;
}

function notFound(req: FastifyRequest, reply: FastifyReply, pages: Pages) {
  return pages.sendError(
    req,
    reply,
    404,
    'Not found',
    'There is no file or folder at this address, or it is no longer shared.',
  );
}
