import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { MAX_IDS_PER_REQUEST } from '../../core/files.js';
import { packageVersion } from '../openapi.js';
import { registerAccountPages } from './account.page.js';
import { registerAdminPages } from './admin.page.js';
import { registerFilesystemPage } from './filesystem.page.js';
import { createPages, type Pages } from './pages.js';
import { ASSET, page } from './schemas.js';
import { registerViewer } from './viewer.page.js';

/**
 * The web UI: Svelte pages rendered on the server (data embedded, then hydrated), their assets
 * under /res/, and the site's 404 page. The pages use the pixeldrain API like any client.
 */
export async function webUi(
  app: FastifyInstance,
  opts: { core: Core; config: Config },
): Promise<Pages> {
  const pages = await createPages(opts.core, opts.config, app);
  if (pages.assets) pages.assets.register(app, ASSET);
  const { config } = opts;

  app.get('/', { schema: page('Home: upload files') }, async (req, reply) =>
    pages.send(reply, 'home', await pages.common(req), { title: config.siteName }),
  );

  app.get('/about', { schema: page('About this instance and its limits') }, async (req, reply) =>
    pages.send(
      reply,
      'about',
      {
        ...(await pages.common(req)),
        limits: {
          maxFileSize: config.maxFileSize,
          anonymousUploads: config.allowAnonymousUploads,
          registration: config.registration,
          urlUploads: config.urlUploads,
          maxIdsPerRequest: MAX_IDS_PER_REQUEST,
          storageQuota: config.userStorageQuota,
          anonDailyUploads: config.anonDailyUploads,
          fileExpiryDays: config.fileExpiryDays,
        },
        version: packageVersion(),
      },
      { title: `About ~ ${config.siteName}` },
    ),
  );

  registerViewer(app, pages);
  registerAccountPages(app, pages);
  registerAdminPages(app, pages);
  registerFilesystemPage(app, pages);
  return pages;
}

/** Unknown paths outside the APIs: the site's 404 page for browsers, plain text for others. */
export function webNotFound(pages: Pages) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (/\btext\/html\b/.test(String(req.headers.accept ?? ''))) {
      return pages.sendError(
        req,
        reply,
        404,
        'Page not found',
        'There is nothing at this address.',
      );
    }
    return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
  };
}
