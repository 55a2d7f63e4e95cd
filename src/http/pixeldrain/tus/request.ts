import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished, type Readable } from 'node:stream';
import type { Server } from '@tus/server';
import { NodeRequest, sendNodeResponse } from 'srvx/node';

/** Body bytes queued for the tus server's reader before the request is paused. */
const QUEUED_BYTES = 64 * 1024;

/**
 * What `Server.handle(req, res)` does (the request as srvx's `NodeRequest`, @tus/server's answer
 * written back by srvx), but with a body that does not copy: srvx makes the body with
 * `Readable.toWeb(req)`, and Node's adapter copies every chunk into a new `Uint8Array` ("to detach
 * it from the pool"; Node 20 and 24 alike). A tus upload then left two 64 KiB buffers of garbage
 * per chunk where `PUT /api/file` leaves one, and a 1 GiB PATCH raised the worker's peak RSS by
 * 19-31 MiB against PUT's 6-13 (bench/README.md, "tus and the web stream's copy").
 */
export async function handleTus(
  server: Server,
  raw: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const request = new NodeRequest({ req: raw, res });
  if (raw.method !== 'GET' && raw.method !== 'HEAD') {
    // Made when first asked for, as srvx does: a request refused before its body is read stays
    // unread.
    let body: ReadableStream<Uint8Array> | undefined;
    Object.defineProperty(request, 'body', { get: () => (body ??= uncopiedBody(raw)) });
  }
  const response = await server.handleWeb(request as unknown as Request);
  await sendNodeResponse(res, response);
}

/**
 * `source` as a web stream of its own chunks (the same memory, not copies), otherwise as Node's
 * `Readable.toWeb` makes it: the source flows while the queue holds less than `QUEUED_BYTES` and is
 * paused beyond; its error errors the stream, an end before its last byte (the client went away)
 * errors it with an `AbortError`, and cancelling the stream destroys the source.
 */
export function uncopiedBody(
  source: Readable,
  queuedBytes: number = QUEUED_BYTES,
): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  if (source.destroyed || !source.readable) {
    const gone = new ReadableStream<Uint8Array>();
    void gone.cancel();
    return gone;
  }
  const onData = (chunk: Buffer) => {
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 0) <= 0) source.pause();
  };
  const cleanup = finished(source, (err) => {
    cleanup();
    source.off('data', onData);
    // An error emitted again after the end would find no listener otherwise.
    source.on('error', () => {});
    if (cancelled) return;
    if (!err) return controller.close();
    controller.error(
      (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE'
        ? new DOMException('The request ended before its body', 'AbortError')
        : err,
    );
  });
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        source.resume();
      },
      cancel(reason) {
        cancelled = true;
        source.off('data', onData);
        source.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: queuedBytes, size: (chunk) => chunk.byteLength },
  );
  source.on('data', onData);
  return stream;
}
