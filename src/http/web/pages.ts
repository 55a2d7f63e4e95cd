import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Principal } from '../../core/accounts.js';
import type { Core } from '../../core/index.js';
import { principalOf } from '../pixeldrain/auth.js';
import { WebAssets } from './assets.js';
import { contentSecurityPolicy, newNonce, renderDocument } from './html.js';
import type { CommonProps, PageName, PagePropsMap, Theme } from './page-types.js';

export interface PageOptions {
  title: string;
  status?: number;
  meta?: ReadonlyArray<readonly [string, string, string]>;
  /**
   * Globals the first script sets before `page_props` (the viewer's pixeldrain contract:
   * api_endpoint, viewer_data, user_authenticated, user). Page props named here are not repeated
   * in `page_props`: the page reads them from `window`.
   */
  globals?: ReadonlyArray<readonly [string, unknown]>;
  /** Extra response headers (X-Robots-Tag...). */
  headers?: Record<string, string>;
  /** Host names that may frame this page besides the site itself (CSP frame-ancestors). */
  frameAncestors?: readonly string[];
}

/** Server-side rendering of the Svelte pages into complete documents. */
export class Pages {
  constructor(
    readonly core: Core,
    readonly config: Config,
    readonly assets: WebAssets | null,
  ) {}

  /** The visitor, from the `pd_auth_key` cookie; a stale cookie is simply logged out. */
  async visitor(req: FastifyRequest): Promise<Principal | null> {
    try {
      return await principalOf(this.core, req, 'read');
    } catch {
      return null;
    }
  }

  async common(req: FastifyRequest, visitor?: Principal | null): Promise<CommonProps> {
    const p = visitor === undefined ? await this.visitor(req) : visitor;
    return {
      user: p ? { id: p.userId, username: p.username, isAdmin: p.isAdmin } : null,
      instance: {
        name: this.config.siteName,
        anonymousUploads: this.config.allowAnonymousUploads,
        registration: this.config.registration,
        maxFileSize: this.config.maxFileSize,
        urlUploads: this.config.urlUploads,
        resumable: {
          threshold: this.config.tusWebThreshold,
          chunkSize: this.config.tusWebChunkSize,
        },
      },
      theme: themeOf(req),
      path: req.url,
    };
  }

  send<P extends PageName>(
    reply: FastifyReply,
    page: P,
    props: PagePropsMap[P],
    opts: PageOptions,
  ): FastifyReply {
    reply.header('Cache-Control', 'no-store');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'same-origin');
    for (const [k, v] of Object.entries(opts.headers ?? {})) reply.header(k, v);
    if (!this.assets) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web UI has not been built: run `npm run build`. The API works without it.\n');
    }
    const nonce = newNonce();
    const { head, body } = this.assets.render(page, props);
    const named = new Set((opts.globals ?? []).map(([k]) => k));
    const rest = Object.fromEntries(Object.entries(props).filter(([k]) => !named.has(k)));
    const files = this.assets.page(page);
    reply.header('Content-Security-Policy', contentSecurityPolicy(nonce, opts.frameAncestors));
    return reply
      .code(opts.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(
        renderDocument({
          title: opts.title,
          meta: opts.meta ?? [],
          globals: [...(opts.globals ?? []), ['page_props', rest]],
          theme: props.theme,
          nonce,
          head,
          body,
          ...files,
        }),
      );
  }

  /** The 404 page (or another status) in the site's look. */
  async sendError(
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    title: string,
    message: string,
  ): Promise<FastifyReply> {
    const common = await this.common(req);
    return this.send(
      reply,
      'error',
      { ...common, status, title, message },
      {
        title: `${title} ~ ${this.config.siteName}`,
        status,
      },
    );
  }
}

/** The theme cookie the pages' toggle sets (read here so the first paint is right). */
function themeOf(req: FastifyRequest): Theme {
  const m = /(?:^|;\s*)theme=(light|dark|auto)(?:;|$)/.exec(String(req.headers.cookie ?? ''));
  return (m?.[1] as Theme | undefined) ?? 'auto';
}

/** Whether a request is a download tool that wants the bytes, not the page (pixeldrain's rule). */
export function isWget(req: FastifyRequest): boolean {
  return /^Wget\//.test(String(req.headers['user-agent'] ?? ''));
}

export async function createPages(
  core: Core,
  config: Config,
  app: FastifyInstance,
): Promise<Pages> {
  const assets = await WebAssets.load(config.webDir);
  if (!assets) {
    app.log.warn(`web UI not built (no ${config.webDir}): pages answer 503; run npm run build`);
  }
  return new Pages(core, config, assets);
}
