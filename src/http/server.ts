import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Core } from '../core/index.js';
import { guardConnections } from './common/connection-guard.js';
import { deferExpectContinue } from './common/early-reject.js';
import { registerOpenApi, schemasAsContractOnly } from './openapi.js';
import { sendPdError } from './pixeldrain/errors.js';
import { filebin } from './filebin/index.js';
import { pixeldrainApi } from './pixeldrain/index.js';
import { PD_COMPONENTS } from './pixeldrain/components.js';
import { registerShareX } from './web/sharex.js';
import { webNotFound, webUi } from './web/index.js';
import { cheveretoApi } from './chevereto/index.js';
import { loggerOptions, type LogDestination } from './common/logging.js';
import { RequestLogController } from './common/request-log.js';
import { stdoutDestination } from './common/log-batch.js';
import type { Metrics } from '../metrics/registry.js';
import type { TusBackend } from '../storage/tus/backend.js';
import { addMetricsHooks, addMetricsRoute, inDialect, type Scrape } from './metrics/index.js';

/** The HTTP face of the core: routing only; never listens by itself. */
export async function createServer(
  core: Core,
  config: Config,
  opts: {
    logStream?: NodeJS.WritableStream;
    /** STOWAGE_METRICS: the registry the hooks move, and what answers GET /metrics. */
    metrics?: { metrics: Metrics; scrape: Scrape };
    /** What resumable (tus) uploads are written through (null/absent: no /api/tus). */
    tus?: TusBackend | null;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    // Credentials and delete secrets never reach a log line (headers, URLs, error messages).
    logger:
      config.logLevel === 'silent'
        ? false
        : loggerOptions(config.logLevel, await logDestination(config, opts.logStream)),
    // One info line per finished request (route pattern, status, bytes, duration, client,
    // dialect) instead of Fastify's two; 5xx errors as error events.
    logController: new RequestLogController(config.logLevel),
    // File names and id lists travel in the path (255 characters, percent-encoded, or 1000 ids
    // of up to 10 characters with `%2C` between them, as JDownloader sends them).
    routerOptions: { maxParamLength: 16 * 1024 },
    // Requests Fastify refuses before routing (malformed percent-encoding...) still get the
    // error shape of the API they were sent to.
    frameworkErrors: (err, _req, reply) =>
      sendPdError(reply, {
        status:
          err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400,
        value: 'error_reading_input',
        message: `The request could not be read: ${err.message}`,
      }),
    // Behind a reverse proxy: the client's address and scheme from X-Forwarded-For/-Proto, for
    // rate limits, once-per-client counting and Secure cookies (STOWAGE_TRUST_PROXY).
    trustProxy:
      typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    forceCloseConnections: true,
    return503OnClosing: true,
    // The headers timeout is checked this often (Node's default, 30 s, would double a short one).
    http: {
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, config.headersTimeoutMs / 4)),
    },
  });
  // Timeouts (silence, not duration) and connection caps: STOWAGE_*_TIMEOUT_MS, *_CONNECTIONS*.
  guardConnections(app.server, config);
  deferExpectContinue(app.server);
  // CONNECT (a proxy's method) never reaches the routes: Node hands the socket to 'connect'
  // listeners and, with none, drops it unanswered. This is no proxy: say so and close.
  app.server.on('connect', (_req, socket: import('node:stream').Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  // A client may half-close its socket (FIN) once its request is sent and still wait for the
  // answer. Node's default treats that FIN as an abort: it destroys the request still being read
  // or answered and ends the socket, so a slow handler's answer never goes out. With half-open
  // allowed, the FIN only marks the connection to close after the response. (A FIN before the
  // request is complete is still an incomplete request: the parser errors and the body aborts.)
  (app.server as typeof app.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Schemas document the API (OpenAPI); they neither validate nor serialise anything.
  schemasAsContractOnly(app);
  await registerOpenApi(app, { components: PD_COMPONENTS });
  // Metrics: one onResponse hook for every route (added first), /metrics on the main port unless
  // it has a port of its own. Each dialect's routes are tagged with it (a label).
  if (opts.metrics) {
    addMetricsHooks(app, opts.metrics.metrics);
    if (config.metricsPort === null) {
      addMetricsRoute(app, { token: config.metricsToken, scrape: opts.metrics.scrape });
    }
  }
  await inDialect(app, 'pixeldrain', pixeldrainApi, {
    prefix: '/api',
    core,
    config,
    tus: opts.tus ?? null,
  });
  await inDialect(app, 'filebin', filebin, { core, config });
  registerShareX(app, core, config);
  // Chevereto: /api/{digits}/{action} (a regex param beside FileBin's /api/v…) and /image/{id}…
  await inDialect(app, 'chevereto', cheveretoApi, { core, config });
  // The web UI's pages and /res/ assets; its 404 page for every path no API claims.
  const pages = await webUi(app, { core, config });
  app.setNotFoundHandler(webNotFound(pages));
  return app;
}

/**
 * Where log lines go. JSON: the stream given, else stdout, each event-loop turn's lines in one
 * write. Pretty: the formatter (loaded only then) in front of the stream or stdout, in colour on
 * a terminal.
 */
async function logDestination(
  config: Config,
  stream: NodeJS.WritableStream | undefined,
): Promise<LogDestination> {
  if (config.logFormat !== 'pretty') return stream ?? stdoutDestination();
  const { prettyDestination } = await import('./common/pretty-log.js');
  const out = stream ?? process.stdout;
  return prettyDestination(out, out === process.stdout && process.stdout.isTTY === true);
}

/** Believe the nearest `hops` proxies (proxy-addr's hop-count rule, as Fastify applies a number). */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}
