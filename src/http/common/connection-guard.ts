import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long sockets may stay silent and how many one server (and one client address) may hold. */
export interface ConnectionLimits {
  /** Time to receive a request's complete headers (slowloris), in ms. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection between two requests is closed after this, in ms. */
  keepAliveTimeoutMs: number;
  /**
   * No byte in either direction for this long while it is the client's turn (sending its request
   * or body, reading our response) closes the connection, in ms. A stalled upload ends and its
   * staged part is discarded; a slow upload that keeps sending is never cut.
   */
  idleTimeoutMs: number;
  /** Open connections per server (process); 0 = unlimited. */
  maxConnections: number;
  /** Open connections per client address (the TCP peer); 0 = unlimited. */
  maxConnectionsPerIp: number;
}

type Res = ServerResponse & { req?: IncomingMessage };

/**
 * Apply the limits to a Node HTTP server before it listens. There is no overall request timeout
 * (a 10 GB upload at modem speed is fine): only silence ends a connection.
 */
export function guardConnections(server: Server, limits: ConnectionLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = 0;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  // Node arms every new socket with `server.timeout` (refreshed by each byte read or written) and,
  // after a response, with keepAliveTimeout until the next request starts.
  server.timeout = limits.idleTimeoutMs;
  server.on('timeout', (socket: Socket) => {
    const res = (socket as Socket & { _httpMessage?: Res | null })._httpMessage;
    // The whole request is in and nothing is written yet: the silence is ours (a commit, a slow
    // store), not the client's. The timer re-arms with the next byte we write.
    if (res && !res.headersSent && !res.writableEnded && res.req?.complete) return;
    socket.destroy();
  });
  if (limits.maxConnectionsPerIp > 0) capPerAddress(server, limits.maxConnectionsPerIp);
}

/** Count sockets per peer address; one over the cap is closed before a byte is read. */
function capPerAddress(server: Server, cap: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return;
    const n = open.get(address) ?? 0;
    if (n >= cap) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    open.set(address, n + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
