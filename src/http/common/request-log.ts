/**
 * One log line per request (issue 19): method, route pattern, status, bytes sent, duration,
 * client address and dialect, written when the response has finished. It replaces Fastify's own
 * request lines (two per request, with the raw URL): Fastify calls its LogController at those
 * points, and this one writes ours instead, so no hook is added to the hot path.
 *
 * Nothing from the request's headers, query string or path parameters is written: the route is
 * the pattern the router matched (`/api/file/:id`), never the URL the client sent.
 */
import type { Socket } from 'node:net';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { logFailure, logServerError } from './logging.js';

/** Which API a request spoke, for the log line. */
export type LogDialect =
  'pixeldrain' | 'filebin' | 'chevereto' | 'web' | 'tus' | 'admin' | 'metrics';

/** The route of a request that matched none. */
export const UNMATCHED = 'unmatched';

interface RouteLog {
  route: string;
  dialect: LogDialect;
}

/** Route config as Fastify keeps it per route (url and method added by Fastify). */
interface RouteConfig {
  url?: string;
  dialect?: LogDialect;
}

/**
 * The dialect of a route pattern: tus and the admin API live under pixeldrain's `/api` but are
 * told apart; `/metrics` is the metrics route; otherwise the dialect whose plugin registered the
 * route (`inDialect`), or the web UI.
 */
export function dialectOf(url: string, tagged: LogDialect | undefined): LogDialect {
  if (url === '/api/tus' || url.startsWith('/api/tus/')) return 'tus';
  if (url === '/api/admin' || url.startsWith('/api/admin/')) return 'admin';
  if (url === '/metrics') return 'metrics';
  return tagged ?? 'web';
}

/** A request no route matched: its dialect from the path's prefix (the path is not logged). */
function unmatchedDialect(path: string): LogDialect {
  if (path.startsWith('/api/tus')) return 'tus';
  if (path.startsWith('/api/admin')) return 'admin';
  if (path.startsWith('/api/')) return 'pixeldrain';
  return 'web';
}

/** The socket's bytesWritten when the previous response on it finished. */
const WRITTEN = Symbol('stowage.log.written');
type CountedSocket = Socket & { [WRITTEN]?: number };

/** Bytes written to the socket for this response (headers included), counted, not declared. */
function bytesSent(request: FastifyRequest): number {
  const socket = request.raw.socket as CountedSocket | null;
  if (!socket) return 0;
  const written = socket.bytesWritten;
  if (typeof written !== 'number') return 0;
  const before = socket[WRITTEN] ?? 0;
  socket[WRITTEN] = written;
  return written - before;
}

/**
 * Fastify's log points, with one `info` line per finished request instead of its two; errors
 * answered by Fastify's default handler are `error` events when 5xx, and left to the request
 * line when 4xx.
 */
export class RequestLogController extends LogController {
  private readonly routes = new WeakMap<object, RouteLog>();
  private readonly requests: boolean;
  private readonly debug: boolean;

  /** `level`: the logger's level (lines below it are not even built). */
  constructor(level: string) {
    super({ disableRequestLogging: false });
    const rank = LEVELS[level] ?? Infinity;
    this.requests = rank <= LEVELS.info!;
    this.debug = rank <= LEVELS.debug!;
  }

  private routeOf(request: FastifyRequest): RouteLog {
    const cfg = request.routeOptions.config as RouteConfig;
    let r = this.routes.get(cfg);
    if (r) return r;
    if (cfg.url === undefined) return { route: UNMATCHED, dialect: unmatchedDialect(request.url) };
    r = { route: cfg.url, dialect: dialectOf(cfg.url, cfg.dialect) };
    this.routes.set(cfg, r);
    return r;
  }

  override incomingRequest(request: FastifyRequest): void {
    // The URL (secrets masked by the serializer) only at debug level.
    if (this.debug) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) logFailure(request, reply, error, 'response failed');
    if (!this.requests) return;
    const r = this.routeOf(request);
    request.log.info(
      {
        event: 'request',
        method: request.method,
        route: r.route,
        status: reply.statusCode,
        bytes: bytesSent(request),
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        client: request.ip,
        dialect: r.dialect,
      },
      'request',
    );
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) logServerError(request, error, error?.message ?? 'error');
    else if (this.debug) request.log.debug({ err: error }, error?.message);
  }

  override routeNotFound(request: FastifyRequest): void {
    // The request line says 404; the path may carry anything, so it is not written.
    if (this.debug) request.log.debug('route not found');
  }

  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      if (this.debug) request.log.debug('stream closed prematurely');
      return;
    }
    super.streamError(error, request, reply);
  }
}

/** Pino's level numbers. */
const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};
