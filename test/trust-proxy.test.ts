// Behind a reverse proxy (STOWAGE_TRUST_PROXY): the client's address comes from X-Forwarded-For
// and the scheme from X-Forwarded-Proto, but only from a trusted peer; by default neither header
// is believed (anyone could send them).
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type TestServer } from './helpers.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function viewsAfterVisitsFrom(s: TestServer, clients: string[]): Promise<number> {
  const put = await fetch(`${s.url}/api/file/seen.txt`, { method: 'PUT', body: 'x' });
  const { id } = (await put.json()) as { id: string };
  // A view is the viewer's subscription over the file_stats websocket (through the proxy).
  for (const ip of clients) {
    const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}/api/file_stats`, {
      headers: { 'X-Forwarded-For': ip },
    });
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'file_stats', data: { file_id: id } }));
    const first = await new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
    expect(JSON.parse(first)).toMatchObject({ type: 'file_stats' });
    ws.close();
  }
  await s.app.runtime.core.traffic.flush();
  const info = (await (await fetch(`${s.url}/api/file/${id}/info`)).json()) as { views: number };
  return info.views;
}

function auth(s: TestServer, action: 'register' | 'login', username: string, ip: string) {
  return fetch(`${s.url}/api/user/${action}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Forwarded-For': ip,
      'X-Forwarded-Proto': 'https',
    },
    body: new URLSearchParams({ username, password: 'a long password' }),
  });
}

describe('X-Forwarded-For and -Proto', () => {
  it('are ignored by default: three forwarded clients are one visitor', async () => {
    server = await startServer();
    expect(await viewsAfterVisitsFrom(server, ['203.0.113.1', '203.0.113.2', '203.0.113.3'])).toBe(
      1,
    );
  });

  it('are believed from a trusted proxy: each forwarded client counts once', async () => {
    server = await startServer({ trustProxy: '127.0.0.1' });
    expect(
      await viewsAfterVisitsFrom(server, [
        '203.0.113.1',
        '203.0.113.2',
        '203.0.113.1',
        '203.0.113.3',
      ]),
    ).toBe(3);
  });

  it('are not believed from a peer outside the trusted list', async () => {
    server = await startServer({ trustProxy: '10.0.0.0/8' });
    expect(await viewsAfterVisitsFrom(server, ['203.0.113.1', '203.0.113.2'])).toBe(1);
  });

  it('give the login rate limit per forwarded client, and Secure cookies behind https', async () => {
    server = await startServer({ trustProxy: true, authRateLimit: 2 });
    expect((await auth(server, 'register', 'proxied', '198.51.100.7')).status).toBe(201);
    const login = await auth(server, 'login', 'proxied', '198.51.100.7');
    expect(login.status).toBe(201);
    expect(login.headers.get('set-cookie') ?? '').toMatch(/^pd_auth_key=.*; Secure/);
    // The limit is per route: a second login is allowed, a third refused.
    expect((await auth(server, 'login', 'proxied', '198.51.100.7')).status).toBe(201);
    expect((await auth(server, 'login', 'proxied', '198.51.100.7')).status).toBe(429);
    // Another client behind the same proxy is not limited by the first one's attempts.
    expect((await auth(server, 'login', 'proxied', '198.51.100.8')).status).toBe(201);
  });
});
