import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { frameworkClientError } from '../common/framework-error.js';
import { FbError, FbPageError, sendFbError, toFbError } from './errors.js';
import { createMultipaste } from './file.create_multipaste.js';
import { deleteIds } from './file.delete.js';
import { getConfig } from './file.get_config.js';
import { history } from './file.history.js';
import { upload } from './file.upload.js';
import { registerPages, sendErrorPage } from './pages.js';
import { sendFbSuccess, type FbEndpoint } from './respond.js';
import { API_SCHEMA, API_VERSION_ONLY_SCHEMA } from './schemas.js';
import { apikeys } from './user.apikeys.js';
import { createApikey } from './user.create_apikey.js';
import { deleteApikey } from './user.delete_apikey.js';
import { logFailure, logServerError } from '../common/logging.js';

/** The endpoints, by `namespace/method` (FileBin's class and method lookup is case-sensitive). */
const ENDPOINTS: ReadonlyMap<string, FbEndpoint> = new Map([
  ['file/get_config', getConfig],
  ['file/upload', upload],
  ['file/history', history],
  ['file/delete', deleteIds],
  ['file/create_multipaste', createMultipaste],
  ['user/apikeys', apikeys],
  ['user/create_apikey', createApikey],
  ['user/delete_apikey', deleteApikey],
]);

/** The newest API version FileBin 4.1.0 speaks; every 2.x up to it behaves the same. */
const SUPPORTED = [2, 2, 0];
/** PHP's pattern, its `.` unescaped as in the original. */
const VERSION = /^v([0-9]+)(.[0-9]+){0,2}$/;
const NAME = /^[a-zA-Z_-]+$/;

/**
 * FileBin's route checks, in its order (spec 1.2): version shape, namespace and method shape,
 * version supported, endpoint known. Extra segments after the method are ignored.
 */
export function resolveEndpoint(segments: readonly string[]): FbEndpoint {
  const [version = '', namespace, method] = segments;
  if (!VERSION.test(version)) throw new FbError('api/invalid-version');
  if (namespace === undefined || !NAME.test(namespace)) throw new FbError('api/invalid-endpoint');
  if (method === undefined || !NAME.test(method)) throw new FbError('api/invalid-endpoint');
  const parts = version
    .slice(1)
    .split(/[^0-9]/)
    .map((p) => Number(p || 0));
  while (parts.length < 3) parts.push(0);
  let cmp = 0;
  for (let i = 0; i < 3 && cmp === 0; i++) cmp = Math.sign(parts[i]! - SUPPORTED[i]!);
  if (parts[0] !== SUPPORTED[0] || cmp > 0) throw new FbError('api/version-not-supported');
  const endpoint = ENDPOINTS.get(`${namespace}/${method}`);
  if (!endpoint) throw new FbError('api/unknown-endpoint');
  return endpoint;
}

/**
 * The FileBin dialect: its API at /api/v{version}/{namespace}/{method} (and FileBin's own
 * /index.php/api/… form), and the pages its URLs point to (/{id}, /{id}/, /m-{id}/ …). Registered
 * in a scope of its own: no body parser here, the endpoints read their forms themselves.
 */
export async function filebin(
  app: FastifyInstance,
  opts: { core: Core; config: Config },
): Promise<void> {
  const { core, config } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  // Before the routes (each route keeps the handler set when it is added): what Fastify refuses
  // before a handler runs (a malformed Content-Type) is answered in FileBin's shapes.
  app.setErrorHandler((err, req, reply) => {
    const framework = frameworkClientError(err);
    if (!framework) logServerError(req, err, 'filebin: unhandled error');
    if (!/^\/(index\.php\/)?api\//.test(req.url)) {
      const status = framework?.status ?? 500;
      return sendErrorPage(reply, status, 'Error', framework ? 'Invalid input' : 'Internal error');
    }
    return sendFbError(
      reply,
      new FbError(framework ? 'input/invalid-form-field' : 'internal-error'),
    );
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply, segments: string[]) => {
    try {
      const endpoint = resolveEndpoint(segments);
      const data = await endpoint({ core, config, req, reply });
      return sendFbSuccess(reply, data);
    } catch (err) {
      if (err instanceof FbPageError)
        return sendErrorPage(reply, err.status, err.title, err.message);
      const e = toFbError(err);
      if (e.errorId === 'internal-error') logFailure(req, reply, err, 'filebin: unhandled error');
      return sendFbError(reply, e);
    }
  };
  type Wild = FastifyRequest<{ Params: { version?: string; '*': string } }>;
  // FileBin does not check the method: both answer (a GET cannot carry the POST-only apikey).
  const both = (url: string, schema: Record<string, unknown>, segments: (r: Wild) => string[]) => {
    const handler = (req: Wild, reply: FastifyReply) => handle(req, reply, segments(req));
    const { body: _body, ...getSchema } = schema;
    app.get(
      url,
      { schema: { ...getSchema, summary: `${schema.summary as string} (GET)` } },
      handler,
    );
    app.post(url, { schema }, handler);
  };
  // Only a first segment starting with "v" is FileBin's: /api/file/…, /api/list/…, /api/user/…
  // stay pixeldrain's, /api/1/… Chevereto's.
  both('/api/:version(^v[^/]*$)/*', API_SCHEMA, (r) => [
    r.params.version ?? '',
    ...r.params['*'].split('/'),
  ]);
  both('/api/:version(^v[^/]*$)', API_VERSION_ONLY_SCHEMA, (r) => [r.params.version ?? '']);
  both(
    '/index.php/api/*',
    { ...API_SCHEMA, summary: 'FileBin API, index.php form (as FileBin’s own tests call it)' },
    (r) => r.params['*'].split('/'),
  );

  registerPages(app, core, config);
}
