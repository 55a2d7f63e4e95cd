import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { frameworkClientError } from '../common/framework-error.js';
import { logServerError } from '../common/logging.js';
import { INTERNAL, sendChvError } from './errors.js';
import { registerFile } from './file.js';
import { registerUpload } from './upload.js';
import { registerViewer } from './viewer.js';

/**
 * The Chevereto dialect: `/api/1/upload` (a numeric version, any action: 110/120 as Chevereto),
 * the viewer, companion images and delete links under `/image/{id}`, the file itself at
 * `/i/{id}.{ext}` (`image.url`). Bodies are read by the
 * handler itself (streamed), so no content type is parsed here.
 */
export async function cheveretoApi(
  app: FastifyInstance,
  opts: { core: Core; config: Config },
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  // Before the routes (each route keeps the handler set when it is added): what Fastify refuses
  // before a handler runs (a malformed Content-Type) is a client error in Chevereto's shape.
  app.setErrorHandler((err, req, reply) => {
    const framework = frameworkClientError(err);
    if (!framework) logServerError(req, err, 'chevereto: unhandled error');
    const e = framework ? { message: 'Invalid request body', code: 400 } : INTERNAL;
    return sendChvError(reply, e, 'json');
  });
  registerUpload(app, opts.core, opts.config);
  registerViewer(app, opts.core, opts.config);
  registerFile(app, opts.core);
}
