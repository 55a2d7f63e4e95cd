import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendPdError, toPdError } from './errors.js';
import { registerFileDelete } from './file.delete.js';
import { registerFileGet } from './file.get.js';
import { registerFileInfo } from './file.info.js';
import { registerFilePost } from './file.post.js';
import { registerFilePut } from './file.put.js';

/** The pixeldrain dialect, mounted under /api. */
export async function pixeldrainApi(app: FastifyInstance, opts: { core: Core }): Promise<void> {
  const { core } = opts;
  // Upload bodies are streamed by the handlers themselves: no content type is parsed here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  registerFilePut(app, core);
  registerFilePost(app, core);
  registerFileGet(app, core);
  registerFileInfo(app, core);
  registerFileDelete(app, core);

  app.get('/health', async (_req, reply) => reply.send({ status: 'ok' }));

  app.setNotFoundHandler((_req, reply) =>
    sendPdError(reply, {
      status: 404,
      value: 'invalid_endpoint',
      message: 'The API endpoint you requested does not exist',
    }),
  );
  app.setErrorHandler((err, req, reply) => {
    req.log.error({ err }, 'unhandled error');
    return sendPdError(reply, toPdError(err));
  });
}
