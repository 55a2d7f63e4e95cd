/**
 * GET /metrics: on the main port (a Fastify route), or on a port of its own (a bare node:http
 * server, STOWAGE_METRICS_PORT). Both check the bearer token (STOWAGE_METRICS_TOKEN) the same way.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { logServerError } from '../common/logging.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Produces the exposition text (the local registry, or the whole node's from the primary). */
export type Scrape = () => Promise<string>;

/** Whether an Authorization header carries the token (constant-time comparison). */
export function bearerMatches(header: string | undefined, token: string | null): boolean {
  if (token === null) return true;
  if (!header) return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m) return false;
  const a = crypto.createHash('sha256').update(m[1]!).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

const UNAUTHORIZED = 'unauthorized: a bearer token is required (Authorization: Bearer <token>)\n';
const FAILED = 'metrics unavailable\n';

export function addMetricsRoute(
  app: FastifyInstance,
  opts: { token: string | null; scrape: Scrape },
): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Prometheus text format. Only when STOWAGE_METRICS=true and no STOWAGE_METRICS_PORT; a bearer token when STOWAGE_METRICS_TOKEN is set.',
        tags: ['Monitoring'],
        hide: true,
      },
    },
    async (req, reply) => {
      if (!bearerMatches(req.headers.authorization, opts.token)) {
        return reply
          .code(401)
          .header('WWW-Authenticate', 'Bearer realm="metrics"')
          .type('text/plain; charset=utf-8')
          .send(UNAUTHORIZED);
      }
      let text: string;
      try {
        text = await opts.scrape();
      } catch (err) {
        logServerError(req, err, 'metrics: scrape failed');
        return reply.code(503).type('text/plain; charset=utf-8').send(FAILED);
      }
      return reply
        .code(200)
        .header('Cache-Control', 'no-store')
        .type(METRICS_CONTENT_TYPE)
        .send(text);
    },
  );
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** A small server answering GET /metrics only (and 404 to anything else). */
export async function startMetricsServer(opts: {
  host: string;
  port: number;
  token: string | null;
  scrape: Scrape;
  onError?: (err: Error) => void;
}): Promise<MetricsServer> {
  const report = opts.onError ?? (() => {});
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000 });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => socket.on('error', () => {}));
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('request', (req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    const send = (
      status: number,
      type: string,
      body: string,
      headers: Record<string, string> = {},
    ) => {
      res.writeHead(status, {
        'Content-Type': type,
        'Content-Length': Buffer.byteLength(body),
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return send(404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    if (!bearerMatches(req.headers.authorization, opts.token)) {
      return send(401, 'text/plain; charset=utf-8', UNAUTHORIZED, {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    opts.scrape().then(
      (text) => send(200, METRICS_CONTENT_TYPE, text, { 'Cache-Control': 'no-store' }),
      (err: Error) => {
        report(err);
        send(503, 'text/plain; charset=utf-8', FAILED);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', report);
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('metrics server has no TCP address');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
