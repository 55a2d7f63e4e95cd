import { EventEmitter } from 'node:events';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { MAX_STATS_MESSAGE, registerFileStats } from './file-stats.js';

/**
 * Mounts `GET {prefix}/file_stats` with @fastify/websocket in a scope of its own. The plugin adds
 * an onRequest and an onResponse hook and wraps the handler of every route in the scope it is
 * registered in: registered at the root it cost every download three extra hook runs (~5% of a
 * 4 KiB GET). Here it sees only its own route, and only the upgrades for that path (through an
 * emitter of ours, the plugin's `server` option).
 *
 * Upgrade requests for any other path (`curl --http2` sends `Upgrade: h2c` on plain HTTP) never
 * reach the plugin: a GET or HEAD is served as the plain request it also is, on a connection that
 * closes after the answer; anything else is 400 (its body could not be read).
 */
export async function registerFileStatsSocket(
  app: FastifyInstance,
  core: Core,
  config: Config,
): Promise<void> {
  const path = `${app.prefix}/file_stats`;
  const upgrades = new EventEmitter();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(req.url) === path) upgrades.emit('upgrade', req, socket, head);
    else serveWithoutUpgrade(app, req, socket, config);
  };
  app.server.on('upgrade', onUpgrade);
  app.addHook('preClose', (done) => {
    app.server.removeListener('upgrade', onUpgrade);
    done();
  });
  await app.register(async (scope) => {
    await scope.register(websocket, {
      // Frames over the size limit close the socket (1009).
      options: { maxPayload: MAX_STATS_MESSAGE, server: upgrades as never },
      // A socket's errors end it quietly (the route adds its own listener too).
      errorHandler: (_err, socket) => socket.terminate(),
      // On close: say goodbye (1001: the viewers reconnect elsewhere), then drop whoever has not
      // answered within a moment, so a dead peer cannot hold the shutdown for ws's 30 s.
      preClose(done) {
        const wss = this.websocketServer;
        const clients = [...wss.clients];
        for (const c of clients) c.close(1001, 'server shutting down');
        const finish = () => {
          for (const c of clients) c.terminate();
          wss.close();
          done();
        };
        if (clients.length === 0) finish();
        else setTimeout(finish, 250);
      },
    });
    registerFileStats(scope, core, config);
  });
}

function pathOf(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

/** Answer an upgrade request for another path as a plain request, then close the connection. */
function serveWithoutUpgrade(
  app: FastifyInstance,
  req: IncomingMessage,
  socket: Duplex,
  config: Config,
): void {
  socket.on('error', () => socket.destroy());
  // Off the HTTP parser, the server's timeouts no longer watch this socket.
  if ('setTimeout' in socket && typeof socket.setTimeout === 'function') {
    socket.setTimeout(config.idleTimeoutMs, () => socket.destroy());
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as never);
  res.on('finish', () => {
    res.detachSocket(socket as never);
    socket.end();
  });
  app.routing(req, res);
}
