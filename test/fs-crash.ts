import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pendingUploads, stagingFiles, type TestServer } from './helpers.js';

/** Nothing of an upload is in progress or left behind: no staging file, no open multipart upload. */
export async function nothingStaged(server: TestServer): Promise<boolean> {
  if (server.stack) return (await pendingUploads(server)) === 0;
  return (await stagingFiles(server.dataDir)).length === 0;
}

/** Poll until `cond` holds; throws after `timeoutMs` (a wait, never an assertion on time). */
export async function waitFor(
  cond: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The server's side of every connection it accepts (to see what it has read). */
export function serverSockets(server: TestServer): net.Socket[] {
  const sockets: net.Socket[] = [];
  server.app.server.server.on('connection', (s: net.Socket) => sockets.push(s));
  return sockets;
}

/**
 * A client that crashes mid-upload: sends the head of a PUT declaring `declared` bytes, then
 * `sent` bytes of body, waits until the server has read them, and destroys the socket.
 */
export async function crashingPut(
  server: TestServer,
  sockets: net.Socket[],
  opts: { path: string; auth: string; declared: number; sent: number },
): Promise<void> {
  const url = new URL(server.url);
  const sock = net.connect({ host: url.hostname, port: Number(url.port) });
  sock.on('error', () => {});
  const before = sockets.length;
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  sock.write(
    [
      `PUT ${opts.path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Authorization: ${opts.auth}`,
      `Content-Length: ${opts.declared}`,
      '',
      '',
    ].join('\r\n'),
  );
  const body = randomBytes(opts.sent);
  for (let i = 0; i < body.length; i += 64 * 1024) {
    if (!sock.write(body.subarray(i, i + 64 * 1024))) {
      await new Promise((r) => sock.once('drain', r));
    }
  }
  await waitFor(() => sockets.length > before, 'the server to accept the connection');
  const theirs = sockets[before]!;
  await waitFor(() => theirs.bytesRead >= opts.sent, 'the server to read the partial body');
  sock.destroy();
  await waitFor(() => theirs.destroyed, 'the server to see the connection go');
}

/**
 * A PUT on a raw socket: the head, then (unless `expectContinue`, which waits for an answer first)
 * a chunked body of `bodyBytes` written until the server answers or closes. Resolves with what the
 * server sent once the connection is gone, and how many bytes the server read.
 */
export async function rawPut(
  server: TestServer,
  sockets: net.Socket[],
  opts: {
    path: string;
    auth: string;
    headers: string[];
    bodyBytes: number;
    expectContinue?: boolean;
  },
): Promise<{
  status: number | null;
  text: string;
  json: Record<string, unknown>;
  serverRead: number;
}> {
  const url = new URL(server.url);
  const before = sockets.length;
  const sock = net.connect({ host: url.hostname, port: Number(url.port) });
  let text = '';
  let closed = false;
  sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
  sock.on('error', () => {});
  const gone = new Promise<void>((r) =>
    sock.once('close', () => {
      closed = true;
      r();
    }),
  );
  await new Promise<void>((resolve) => sock.once('connect', resolve));
  sock.write(
    [`PUT ${opts.path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: ${opts.auth}`, ...opts.headers]
      .concat('', '')
      .join('\r\n'),
  );
  if (!opts.expectContinue) {
    const piece = randomBytes(16 * 1024);
    for (let sent = 0; sent < opts.bodyBytes && !closed && text === ''; sent += piece.length) {
      const ok =
        sock.write(`${piece.length.toString(16)}\r\n`) && sock.write(piece) && sock.write('\r\n');
      if (!ok) await Promise.race([new Promise((r) => sock.once('drain', r)), gone]);
    }
    if (!closed && text === '') sock.write('0\r\n\r\n');
  }
  await Promise.race([gone, waitFor(() => /\r\n\r\n[\s\S]*\}/.test(text), 'an answer')]);
  sock.destroy();
  await gone;
  const theirs = sockets.slice(before);
  await waitFor(() => theirs.every((s) => s.destroyed), 'the server to close the connection');
  const final = text.slice(text.lastIndexOf('HTTP/1.1 '));
  const m = /^HTTP\/1\.1 (\d{3})/.exec(final);
  const body = final.slice(final.indexOf('\r\n\r\n') + 4);
  return {
    status: m ? Number(m[1]) : null,
    text,
    json: body.trim().startsWith('{') ? (JSON.parse(body) as Record<string, unknown>) : {},
    serverRead: theirs.reduce((n, s) => n + s.bytesRead, 0),
  };
}
