/**
 * Per-request metrics: one onResponse hook. It labels by the route's pattern (`/api/file/:id`,
 * never the URL a client sent) and by the dialect whose plugin registered the route; the labelled
 * children are looked up once per route, method and status and cached, so a request costs a map
 * lookup and a few additions on plain numbers, read by the registry when scraped (hot path: the
 * 4 KiB GET).
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
import type { Dialect, Metrics } from '../../metrics/registry.js';
import { observe, type DialectStats, type RequestSeries } from '../../metrics/http-stats.js';

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
  stats: DialectStats;
  /** Request series by method, then status. */
  requests: Map<string, Map<number, RequestSeries>>;
}

const SEEN = Symbol('stowage.metrics.bytes');
type CountedSocket = Socket & { [SEEN]?: { read: number; written: number } };

/** Add the per-request hook; call before the routes are registered. */
export function addMetricsHooks(app: FastifyInstance, metrics: Metrics): void {
  const http = metrics.http;
  const entries = new WeakMap<object, RouteEntry>();
  const unmatched = new Map<Dialect, RouteEntry>();
  const entryFor = (cfg: RouteConfig): RouteEntry => {
    const dialect = cfg.dialect ?? 'web';
    if (cfg.url === undefined) {
      const known = unmatched.get(dialect);
      if (known) return known;
    }
    const e: RouteEntry = {
      route: cfg.url ?? 'unmatched',
      dialect,
      stats: http.dialect(dialect),
      requests: new Map(),
    };
    if (cfg.url === undefined) unmatched.set(dialect, e);
    return e;
  };
  app.addHook(
    'onResponse',
    (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const cfg = request.routeOptions.config as RouteConfig;
      let e = entries.get(cfg);
      if (!e) {
        e = entryFor(cfg);
        entries.set(cfg, e);
      }
      const status = reply.statusCode;
      let byStatus = e.requests.get(request.method);
      if (!byStatus) {
        byStatus = new Map();
        e.requests.set(request.method, byStatus);
      }
      let series = byStatus.get(status);
      if (!series) {
        // Methods outside the usual set are folded: the label's values stay bounded.
        const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
        series = http.request(e.route, method, e.dialect, status);
        byStatus.set(status, series);
      }
      series.n++;
      const d = e.stats;
      observe(d, reply.elapsedTime / 1000);
      const socket = request.raw.socket as CountedSocket | null;
      if (socket) {
        const read = socket.bytesRead;
        const written = socket.bytesWritten;
        const seen = socket[SEEN];
        if (seen) {
          d.received += read - seen.read;
          d.sent += written - seen.written;
          seen.read = read;
          seen.written = written;
        } else {
          d.received += read;
          d.sent += written;
          socket[SEEN] = { read, written };
        }
      }
      done();
    },
  );
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
