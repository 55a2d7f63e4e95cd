import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const CONTINUE_PENDING = Symbol('stowage.continuePending');

type Req = IncomingMessage & { [CONTINUE_PENDING]?: boolean };

/**
 * Take over `Expect: 100-continue`: Node would answer "100 Continue" before any handler runs, and
 * the client would start sending a body we may be about to refuse. Instead the request is routed as
 * usual and the interim response is sent only when a handler decides to read the body.
 */
export function deferExpectContinue(server: Server): void {
  server.on('checkContinue', (req: Req, res: ServerResponse) => {
    req[CONTINUE_PENDING] = true;
    server.emit('request', req, res);
  });
}

/** Call right before reading a request body. */
export function acceptBody(req: IncomingMessage, res: ServerResponse): void {
  const r = req as Req;
  if (r[CONTINUE_PENDING]) {
    r[CONTINUE_PENDING] = false;
    res.writeContinue();
  }
}

/**
 * How long a refused upload's connection stays half-closed before it is closed for good (Go's
 * net/http waits the same: its `rstAvoidanceDelay`).
 */
const LINGER_MS = 500;

type LingeringSocket = Socket & { [LINGERING]?: true };
const LINGERING = Symbol('stowage.lingering');

/**
 * After refusing an upload whose body has not been (fully) read: close the connection once the
 * response is out instead of letting Node drain a body of any size.
 *
 * The close lingers. Closing a socket with unread bytes in its receive queue makes the kernel
 * answer with a reset at once, and a reset that reaches the client before it has read the answer
 * throws the answer away: the client, still sending, sees "connection reset" instead of 413. So
 * the write side is shut first (the client reads the answer, then our FIN), the unread body is left
 * to TCP's flow control (the socket is not read any more), and the socket is destroyed LINGER_MS
 * later.
 */
export function closeAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  // Leaving a `for await` over the body early (e.g. past the size limit) destroys the request with
  // `req.socket` set to null (Node detaches it so the response can still go out): use the response's.
  const socket = (req.socket ?? res.socket) as LingeringSocket | null;
  if (!socket) return;
  if (!res.headersSent) res.setHeader('Connection', 'close');
  // Node's server ends a `Connection: close` response with `socket.destroySoon()`, which closes at
  // once once the response is written: replace it, on this socket only, with the lingering close.
  socket.destroySoon = () => linger(socket);
  if (res.writableFinished) linger(socket);
  else res.once('finish', () => linger(socket)).once('close', () => linger(socket));
}

function linger(socket: LingeringSocket): void {
  if (socket[LINGERING] || socket.destroyed) return;
  socket[LINGERING] = true;
  // Read no more of the body. Once the response is out, Node "dumps" a request whose body was
  // never read (a declared length over the limit): it reads and drops the rest as fast as the
  // client sends, here for all of LINGER_MS. A paused socket leaves the body to TCP's flow
  // control instead; `_paused` is what keeps Node's own reads (the dump's) from resuming it.
  (socket as LingeringSocket & { _paused?: boolean })._paused = true;
  socket.pause();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
