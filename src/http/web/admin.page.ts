import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pages } from './pages.js';
import type { AdminTab } from './page-types.js';
import { WEB_TAG } from './schemas.js';

export const ADMIN_TABS: readonly AdminTab[] = [
  'overview',
  'reports',
  'files',
  'hashes',
  'users',
  'invites',
  'audit',
];

const TITLES: Record<AdminTab, string> = {
  overview: 'Overview',
  reports: 'Reports',
  files: 'Files',
  hashes: 'Blocked hashes',
  users: 'Users',
  invites: 'Invites',
  audit: 'Audit log',
};

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

const schema = (summary: string, withTab: boolean) => ({
  summary,
  description:
    'The admin area (admins only): instance totals, abuse reports, files, blocked hashes, users, invites and the audit log. It uses /api/admin with the session cookie. Logged out: 303 to /login; other accounts: 403.',
  tags: [WEB_TAG],
  ...(withTab
    ? {
        params: {
          type: 'object',
          properties: { tab: { type: 'string', description: ADMIN_TABS.join(', ') } },
          required: ['tab'],
        },
      }
    : {}),
  response: {
    200: html('The page'),
    303: { description: 'Logged out: to the login page' },
    403: html('Not an admin'),
    404: html('No such section'),
  },
});

/**
 * /admin[/{tab}]: the admin area. The server renders the frame for admins only (checked with the
 * session cookie, like the account pages); each section fetches its data from /api/admin after
 * hydration, and the API checks the admin again on every request.
 */
export function registerAdminPages(app: FastifyInstance, pages: Pages): void {
  const { config } = pages;
  const admin = async (req: FastifyRequest<{ Params: { tab?: string } }>, reply: FastifyReply) => {
    const tab = (req.params.tab ?? 'overview') as AdminTab;
    if (!ADMIN_TABS.includes(tab)) {
      return pages.sendError(req, reply, 404, 'Page not found', 'There is no such admin page.');
    }
    const visitor = await pages.visitor(req);
    const common = await pages.common(req, visitor);
    if (!common.user) {
      return reply.redirect(`/login?redirect=${encodeURIComponent(req.url)}`, 303);
    }
    if (!common.user.isAdmin) {
      return pages.sendError(
        req,
        reply,
        403,
        'Forbidden',
        'This page is for the administrators of this instance only.',
      );
    }
    return pages.send(
      reply,
      'admin',
      { ...common, tab },
      {
        title: `Admin: ${TITLES[tab]} ~ ${config.siteName}`,
        headers: { 'X-Robots-Tag': 'noindex, nofollow' },
      },
    );
  };
  app.get('/admin', { schema: schema('Admin area: overview', false) }, admin);
  app.get('/admin/:tab', { schema: schema('Admin area: a section', true) }, admin);
}
