/**
 * Per-request metrics: one onResponse hook. It labels by the route's pattern (`/api/file/:id`,
 * never the URL a client sent) and by the dialect whose plugin registered the route; the labelled
 * children are looked up once per route, method and status and cached, so a request costs a map
 * lookup, two counter increments and a histogram observation (hot path: the 4 KiB GET).
 * Bytes are the socket's own counts (headers included), attributed to the request whose response
 * just finished: exact for uploads without Content-Length and for aborted transfers alike.
 */
import type { Socket } from 'node:net';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
} from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import type { Dialect, Metrics } from '../../metrics/registry.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API the route belongs to (set for each dialect's plugin by `inDialect`). */
    dialect?: Dialect;
  }
}

/** Route config as Fastify keeps it per route (it adds url and method). */
interface RouteConfig {
  url?: string;
  method?: string;
  dialect?: Dialect;
}

/**
 * Register a dialect's plugin in a scope that tags each of its routes with the dialect (for the
 * metrics' labels). Registration only: nothing runs per request.
 */
export async function inDialect<O extends object>(
  app: FastifyInstance,
  dialect: Dialect,
  plugin: FastifyPluginAsync<O>,
  opts: O & { prefix?: string },
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route: RouteOptions) => {
      route.config = { ...(route.config ?? {}), dialect };
    });
    await scope.register(plugin, opts);
  });
}

interface RouteEntry {
  route: string;
  dialect: Dialect;
  duration: Histogram.Internal<'dialect'>;
  received: Counter.Internal;
  sent: Counter.Internal;
  /** Counter children by method and status ("GET 200"). */
  requests: Map<string, Counter.Internal>;
}

const SEEN = Symbol('stowage.metrics.bytes');
type CountedSocket = Socket & { [SEEN]?: { read: number; written: number } };

/** Add the per-request hook; call before the routes are registered. */
export function addMetricsHooks(app: FastifyInstance, metrics: Metrics): void {
  const entries = new WeakMap<object, RouteEntry>();
  const unmatched = new Map<Dialect, RouteEntry>();
  const entryFor = (cfg: RouteConfig): RouteEntry => {
    const dialect = cfg.dialect ?? 'web';
    const route = cfg.url ?? 'unmatched';
    const e: RouteEntry = {
      route,
      dialect,
      duration: metrics.httpDuration.labels(dialect),
      received: metrics.bytesReceived.labels(dialect),
      sent: metrics.bytesSent.labels(dialect),
      requests: new Map(),
    };
    return e;
  };
  app.addHook(
    'onResponse',
    (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const cfg = request.routeOptions.config as RouteConfig;
      let e = entries.get(cfg);
      if (!e) {
        if (cfg.url === undefined) {
          const d = cfg.dialect ?? 'web';
          e = unmatched.get(d) ?? entryFor(cfg);
          unmatched.set(d, e);
        } else {
          e = entryFor(cfg);
        }
        entries.set(cfg, e);
      }
      const status = reply.statusCode;
      const key = `${request.method} ${status}`;
      let c = e.requests.get(key);
      if (!c) {
        // Methods outside the usual set are folded: the label's values stay bounded.
        const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
        c = metrics.httpRequests.labels(e.route, method, e.dialect, String(status));
        e.requests.set(key, c);
      }
      c.inc();
      e.duration.observe(reply.elapsedTime / 1000);
      const socket = request.raw.socket as CountedSocket | null;
      if (socket) {
        const read = socket.bytesRead;
        const written = socket.bytesWritten;
        const seen = socket[SEEN];
        if (seen) {
          e.received.inc(read - seen.read);
          e.sent.inc(written - seen.written);
          seen.read = read;
          seen.written = written;
        } else {
          e.received.inc(read);
          e.sent.inc(written);
          socket[SEEN] = { read, written };
        }
      }
      done();
    },
  );
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
