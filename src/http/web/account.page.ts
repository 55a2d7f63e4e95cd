import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { refuseForeignOrigin } from '../pixeldrain/auth.js';
import { sendPdError, toPdError } from '../pixeldrain/errors.js';
import { setAuthCookie } from '../pixeldrain/respond.js';
import type { Pages } from './pages.js';
import type { AccountSection } from './page-types.js';
import { ACCOUNT, LOGOUT, page } from './schemas.js';

const SECTIONS: readonly AccountSection[] = ['files', 'lists', 'keys', 'settings'];

/** A local path to come back to after logging in; anything else (//evil, https://…) is "/". */
export function safeRedirect(value: unknown): string {
  const s = typeof value === 'string' ? value : '';
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(s) ? s : '/';
}

/** /login, /register, POST /logout and /account[/{section}] (the account pages need a login). */
export function registerAccountPages(app: FastifyInstance, pages: Pages): void {
  const { core, config } = pages;

  for (const mode of ['login', 'register'] as const) {
    app.get(
      `/${mode}`,
      { schema: page(mode === 'login' ? 'Log in' : 'Create an account') },
      async (
        req: FastifyRequest<{ Querystring: { redirect?: string; invite?: string } }>,
        reply: FastifyReply,
      ) => {
        const redirect = safeRedirect(req.query.redirect);
        // An invite link (POST /api/admin/invites): the code fills the form's invite field.
        const code = req.query.invite;
        const invite = typeof code === 'string' && /^[A-Za-z0-9]{1,64}$/.test(code) ? code : '';
        const common = await pages.common(req);
        if (common.user) return reply.redirect(redirect, 303);
        return pages.send(
          reply,
          'auth',
          { ...common, mode, redirect, invite },
          {
            title: `${mode === 'login' ? 'Log in' : 'Register'} ~ ${config.siteName}`,
          },
        );
      },
    );
  }

  // The header's form posts application/x-www-form-urlencoded, which the root scope has no parser
  // for (415): this scope reads any small body and ignores it.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 4096 }, (_req, _body, done) =>
      done(null, {}),
    );
    scope.post('/logout', { schema: LOGOUT }, async (req: FastifyRequest, reply: FastifyReply) => {
      // A form post from our own pages; another site cannot log the visitor out (400, not the
      // 500 of an error this scope has no handler for).
      try {
        refuseForeignOrigin(req);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
      const visitor = await pages.visitor(req);
      if (visitor) await core.accounts.revokeSession(visitor);
      setAuthCookie(req, reply, null, config.publicUrl?.startsWith('https:') ?? false);
      return reply.redirect('/', 303);
    });
  });

  const account = async (
    req: FastifyRequest<{ Params: { section?: string } }>,
    reply: FastifyReply,
  ) => {
    const section = (req.params.section ?? 'files') as AccountSection;
    if (!SECTIONS.includes(section)) {
      return pages.sendError(req, reply, 404, 'Page not found', 'There is no such account page.');
    }
    const visitor = await pages.visitor(req);
    const common = await pages.common(req, visitor);
    if (!common.user) {
      return reply.redirect(`/login?redirect=${encodeURIComponent(req.url)}`, 303);
    }
    return pages.send(
      reply,
      'account',
      { ...common, section, currentKeyId: visitor?.keyId ?? null },
      {
        title: `My ${section === 'keys' ? 'API keys' : section} ~ ${config.siteName}`,
      },
    );
  };
  app.get('/account', { schema: page('Account: my files') }, account);
  app.get('/account/:section', { schema: ACCOUNT }, account);
}
