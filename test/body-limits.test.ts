import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_BODY_MAX } from '../src/http/pixeldrain/list-body.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** Bodies read whole into memory are bounded and refused early (issue 13, item 9). */

/**
 * Send `head`, then `total` body bytes (chunked framing if `chunked`, never the last chunk) as
 * fast as the server takes them, then wait: resolves at the server's close with its response.
 */
function send(
  url: string,
  head: string,
  total: number,
  chunked = false,
): Promise<{ response: string; written: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
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
      const pump = () => {
        while (!closed && written < total) {
          const chunk = Buffer.alloc(Math.min(256 * 1024, total - written), 0x20);
          const size = Buffer.from(`${chunk.length.toString(16)}\r\n`);
          const frame = chunked ? Buffer.concat([size, chunk, Buffer.from('\r\n')]) : chunk;
          written += chunk.length;
          if (!socket.write(frame)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
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

  it('a declared 30 MB list body: 413 request_too_large before a byte of it is sent', async () => {
    // Headers only: the answer must not wait for the body.
    const r = await send(
      s.url,
      ['POST /api/list HTTP/1.1', 'Host: x', `Content-Length: ${30 * 1000 * 1000}`].join('\r\n'),
      0,
    );
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'request_too_large' });
    expect(r.response).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('a chunked list body is refused as soon as it passes the cap, not at its end', async () => {
    // One byte over the cap, and the body never ends: only a refusal on the count answers this.
    const r = await send(
      s.url,
      [
        'PUT /api/list/NoSuchL1 HTTP/1.1',
        'Host: x',
        `Authorization: ${basic(key)}`,
        'Transfer-Encoding: chunked',
      ].join('\r\n'),
      LIST_BODY_MAX + 1,
      true,
    );
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'request_too_large' });
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
