import { registerFilesystem } from './filesystem/index.js';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { INVALID_ENDPOINT, sendPdError, toPdError } from './errors.js';
import { registerFileDelete } from './file.delete.js';
import { registerFileGet } from './file.get.js';
import { registerFileInfo } from './file.info.js';
import { registerFilePost } from './file.post.js';
import { registerFilePut } from './file.put.js';
import { registerFileThumbnail } from './file.thumbnail.js';
import { registerFileAction } from './file.action.js';
import { registerFileReport } from './file.report.js';
import { registerFileStatsSocket } from './file-stats.socket.js';
import { registerListEdit } from './list.edit.js';
import { registerListGet } from './list.get.js';
import { registerListPost } from './list.post.js';
import { registerListZip } from './list.zip.js';
import { registerMiscRules } from './misc.rules.js';
import { HEALTH_SCHEMA, READY_SCHEMA } from './health.schemas.js';
import { registerUserAccount } from './user.account.js';
import { registerUserFiles } from './user.files.js';
import { registerUserLogin } from './user.login.js';
import { registerUserRegister } from './user.register.js';
import { registerUserSession } from './user.session.js';
import { logFailure } from '../common/logging.js';
import { registerFileTimeseries } from './file.timeseries.js';
import { registerUserTimeSeries } from './user.time_series.js';
import { adminApi } from '../admin/index.js';
import type { TusBackend } from '../../storage/tus/backend.js';
import { registerTus } from './tus/index.js';

/** The pixeldrain dialect, mounted under /api. */
export async function pixeldrainApi(
  app: FastifyInstance,
  opts: { core: Core; config: Config; tus?: TusBackend | null },
): Promise<void> {
  const { core, config } = opts;
  const secureCookies = config.publicUrl?.startsWith('https:') ?? false;
  // Upload bodies are streamed by the handlers themselves: no content type is parsed here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  // Before any route: Fastify gives each route the handlers set when the route is added, so
  // routes added before these lines would answer Fastify's own errors (a bad Content-Type...)
  // in Fastify's shape, or as 500 through a later handler.
  app.setNotFoundHandler((_req, reply) => sendPdError(reply, INVALID_ENDPOINT));
  app.setErrorHandler((err, req, reply) => {
    // No route: whatever Fastify refused on the way (a bad Content-Type), the path is unknown.
    if (req.is404) return sendPdError(reply, INVALID_ENDPOINT);
    const e = toPdError(err);
    // Refusals raised by hooks (rate limits) are answers, not failures.
    if (e.status >= 500) logFailure(req, reply, err, 'unhandled error');
    return sendPdError(reply, e);
  });

  registerFilePut(app, core);
  registerFilePost(app, core);
  registerFileGet(app, core);
  registerFileInfo(app, core);
  registerFileDelete(app, core);
  registerFileThumbnail(app, core);
  registerFileAction(app, core);
  registerFileReport(app, core);
  await registerFileStatsSocket(app, core, config);

  registerListPost(app, core);
  registerListGet(app, core);
  registerListEdit(app, core);
  registerListZip(app, core);
  registerMiscRules(app, core);

  // Logins and registrations are limited by the core (PasswordLimiter), as on every API.
  registerUserRegister(app, core);
  registerUserLogin(app, core, secureCookies);
  registerUserSession(app, core, secureCookies);
  registerUserAccount(app, core, config);
  registerUserFiles(app, core);

  // Resumable uploads (tus, issue 17).
  registerTus(app, core, opts.tus ?? null);

  // The filesystem API (issue 16).
  registerFilesystem(app, core);

  // Traffic time series (issue 14).
  registerFileTimeseries(app, core);
  registerUserTimeSeries(app, core);

  // The admin API (issue 15): admins only, in this dialect's shapes.
  await app.register(adminApi, { prefix: '/admin', core, config });

  // Liveness: no probes, no versions (the media tools found are in the startup log).
  app.get('/health', { schema: HEALTH_SCHEMA }, async (_req, reply) =>
    reply.header('Cache-Control', 'no-store').send({ status: 'ok' }),
  );
  // Readiness: the backends, probed at once within a short timeout.
  app.get('/health/ready', { schema: READY_SCHEMA }, async (_req, reply) => {
    const { ready, checks } = await core.readiness.check();
    return reply
      .code(ready ? 200 : 503)
      .header('Cache-Control', 'no-store')
      .send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}
