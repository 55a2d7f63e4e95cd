import http from 'node:http';
import { Transform } from 'node:stream';

export interface Recorded {
  method: string;
  url: string;
  range: string | undefined;
  /** The request's Upload-Offset header (tus), as a number. */
  uploadOffset: number | undefined;
  status: number;
  /** Request body bytes that went through to the server. */
  bodyBytes: number;
}

/**
 * A recording HTTP proxy in front of a test server: every request's method, path, Range header,
 * Upload-Offset, status and request body size. When `throttle` is set (bytes a second), request bodies are
 * passed on no faster than that (so a signal can land mid-upload); when `cutResponseAfter` is set,
 * answers break off after that many body bytes.
 */
export async function recordingProxy(target: string): Promise<{
  url: string;
  requests: Recorded[];
  /** Request body bytes received from clients so far (all requests). */
  bodyBytes(): number;
  throttle: number | null;
  /** Response bodies stop after this many bytes, their connection dropped (null: whole). */
  cutResponseAfter: number | null;
  close(): Promise<void>;
}> {
  const to = new URL(target);
  const requests: Recorded[] = [];
  let total = 0;
  const state = {
    throttle: null as number | null,
    cutResponseAfter: null as number | null,
  };
  const server = http.createServer((req, res) => {
    const rec: Recorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      range: req.headers.range,
      uploadOffset:
        req.headers['upload-offset'] === undefined
          ? undefined
          : Number(req.headers['upload-offset']),
      status: 0,
      bodyBytes: 0,
    };
    requests.push(rec);
    const up = http.request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
      },
      (upRes) => {
        rec.status = upRes.statusCode ?? 0;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const cut = state.cutResponseAfter;
        if (cut === null) upRes.pipe(res);
        else {
          // Pass `cut` bytes of the body, then drop the connection (a network failure).
          let sent = 0;
          upRes.on('data', (chunk: Buffer) => {
            if (sent >= cut) return;
            const part = chunk.subarray(0, cut - sent);
            sent += part.length;
            if (sent < cut) res.write(part);
            else {
              upRes.destroy();
              res.write(part, () => res.destroy());
            }
          });
          upRes.on('end', () => res.end());
        }
        upRes.on('error', () => res.destroy());
      },
    );
    up.on('error', () => res.destroy());
    res.on('error', () => up.destroy());
    req.on('error', () => up.destroy());
    // A client gone mid-body: the server sees its connection end as the client's did.
    req.on('close', () => {
      if (!req.complete) up.destroy();
    });
    const pace = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        rec.bodyBytes += chunk.length;
        total += chunk.length;
        const rate = state.throttle;
        if (rate) setTimeout(() => cb(null, chunk), (chunk.length / rate) * 1000);
        else cb(null, chunk);
      },
    });
    pace.on('error', () => up.destroy());
    req.pipe(pace).pipe(up);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodyBytes: () => total,
    get throttle() {
      return state.throttle;
    },
    set throttle(v: number | null) {
      state.throttle = v;
    },
    get cutResponseAfter() {
      return state.cutResponseAfter;
    },
    set cutResponseAfter(v: number | null) {
      state.cutResponseAfter = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
