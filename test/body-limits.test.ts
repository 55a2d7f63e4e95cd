import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_BODY_MAX } from '../src/http/pixeldrain/list-body.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** Bodies read whole into memory are bounded and refused early (issue 13, item 9). */

const MiB = 1024 * 1024;

/**
 * Send `head`, then up to `total` body bytes (chunked framing if `chunked`) as fast as the server
 * takes them; stop at the server's close. Resolves with the response and the bytes written.
 */
function send(
  url: string,
  head: string,
  total: number,
  chunked = false,
): Promise<{ response: string; written: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let response = '';
    let written = 0;
    let closed = false;
    socket.on('data', (d: Buffer) => (response += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      resolve({ response, written });
    });
    socket.once('connect', () => {
      socket.write(head + '\r\n\r\n');
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const frame = chunked
        ? Buffer.concat([
            Buffer.from(`${chunk.length.toString(16)}\r\n`),
            chunk,
            Buffer.from('\r\n'),
          ])
        : chunk;
      const pump = () => {
        while (!closed && written < total) {
          written += chunk.length;
          if (!socket.write(frame)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    socket.once('timeout', () => reject(new Error('no answer')));
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
const jsonOf = (response: string) =>
  JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;

describe('list bodies', () => {
  let s: TestServer;
  let key: string;
  beforeAll(async () => {
    s = await startServer();
    key = await createUserWithKey(s, 'lister');
  });
  afterAll(() => s.close());

  it('a declared 30 MB list body: 413 request_too_large at once, body never read', async () => {
    const r = await send(
      s.url,
      ['POST /api/list HTTP/1.1', 'Host: x', `Content-Length: ${30 * 1000 * 1000}`].join('\r\n'),
      30 * 1000 * 1000,
    );
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'request_too_large' });
    // The server closed the connection instead of draining 30 MB; kernel buffers took the rest.
    expect(r.written).toBeLessThan(30 * 1000 * 1000);
  });

  it('a chunked list body is refused once past the cap, and not read further', async () => {
    const r = await send(
      s.url,
      [
        'PUT /api/list/NoSuchL1 HTTP/1.1',
        'Host: x',
        `Authorization: ${basic(key)}`,
        'Transfer-Encoding: chunked',
      ].join('\r\n'),
      64 * MiB,
      true,
    );
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'request_too_large' });
    expect(r.written).toBeLessThan(64 * MiB);
  });

  it('the cap fits a list of 10000 files with descriptions', async () => {
    const put = await fetch(`${s.url}/api/file/one.txt`, {
      method: 'PUT',
      body: 'one',
      headers: { Authorization: basic(key) },
    });
    const { id } = (await put.json()) as { id: string };
    const files = Array.from({ length: 10_000 }, () => ({ id, description: 'd'.repeat(350) }));
    const body = JSON.stringify({ title: 'full', files });
    expect(body.length).toBeLessThan(LIST_BODY_MAX);
    const r = await fetch(`${s.url}/api/list`, {
      method: 'POST',
      body,
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
  });
});
