import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { sendPdError, toPdError } from './errors.js';
import { registerFileDelete } from './file.delete.js';
import { registerFileGet } from './file.get.js';
import { registerFileInfo } from './file.info.js';
import { registerFilePost } from './file.post.js';
import { registerFilePut } from './file.put.js';
import { registerFileThumbnail } from './file.thumbnail.js';
import { registerFileAction } from './file.action.js';
import { registerListEdit } from './list.edit.js';
import { registerListGet } from './list.get.js';
import { registerListPost } from './list.post.js';
import { registerListZip } from './list.zip.js';
import { setupRateLimit } from './rate-limit.js';
import { HEALTH_SCHEMA } from './schemas.js';
import { registerUserAccount } from './user.account.js';
import { registerUserFiles } from './user.files.js';
import { registerUserLogin } from './user.login.js';
import { registerUserRegister } from './user.register.js';
import { registerUserSession } from './user.session.js';
import { logFailure } from '../common/logging.js';

/** The pixeldrain dialect, mounted under /api. */
export async function pixeldrainApi(
  app: FastifyInstance,
  opts: { core: Core; config: Config },
): Promise<void> {
  const { core, config } = opts;
  const secureCookies = config.publicUrl?.startsWith('https:') ?? false;
  // Upload bodies are streamed by the handlers themselves: no content type is parsed here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  registerFilePut(app, core);
  registerFilePost(app, core);
  registerFileGet(app, core);
  registerFileInfo(app, core);
  registerFileDelete(app, core);
  registerFileThumbnail(app, core);
  registerFileAction(app, core);

  registerListPost(app, core);
  registerListGet(app, core);
  registerListEdit(app, core);
  registerListZip(app, core);

  const authLimit = await setupRateLimit(app, config, core.state);
  registerUserRegister(app, core, authLimit);
  registerUserLogin(app, core, authLimit, secureCookies);
  registerUserSession(app, core, secureCookies);
  registerUserAccount(app, core, config);
  registerUserFiles(app, core);

  // Which optional media tools this server found (ffmpeg, ffprobe, pdftoppm, image formats).
  app.get('/health', { schema: HEALTH_SCHEMA }, async (_req, reply) =>
    reply.send({ status: 'ok', media: await core.media.ready().catch(() => null) }),
  );

  app.setNotFoundHandler((_req, reply) =>
    sendPdError(reply, {
      status: 404,
      value: 'invalid_endpoint',
      message: 'The API endpoint you requested does not exist',
    }),
  );
  app.setErrorHandler((err, req, reply) => {
    const e = toPdError(err);
    // Refusals raised by hooks (rate limits) are answers, not failures.
    if (e.status >= 500) logFailure(req, reply, err, 'unhandled error');
    return sendPdError(reply, e);
  });
}
