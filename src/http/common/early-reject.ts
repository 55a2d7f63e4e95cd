import type { IncomingMessage, Server, ServerResponse } from 'node:http';

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
 * After refusing an upload whose body has not been (fully) read: close the connection once the
 * response is out instead of letting Node drain a body of any size.
 */
export function closeAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  // Leaving a `for await` over the body early (e.g. past the size limit) destroys the request with
  // `req.socket` set to null (Node detaches it so the response can still go out): use the response's.
  const socket = req.socket ?? res.socket;
  if (!res.headersSent) res.setHeader('Connection', 'close');
  const kill = () => socket?.destroy();
  if (res.writableFinished) kill();
  else res.once('finish', kill).once('close', kill);
}
