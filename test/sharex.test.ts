import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';

/** GET /misc/sharex/{host}.sxcu: a ShareX custom uploader for this server. */

type Sxcu = {
  Version: string;
  DestinationType: string;
  RequestMethod: string;
  RequestURL: string;
  Body: string;
  URL: string;
  ThumbnailURL: string;
  DeletionURL?: string;
  Headers?: Record<string, string>;
};

const PASSWORD = 'sharex password 1';

/** A GET with a Host header of our choosing (fetch always sends the real one). */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('ShareX uploader config', () => {
  let s: TestServer;
  let pub: TestServer;
  const PUBLIC_URL = 'https://files.example.org';

  beforeAll(async () => {
    [s, pub] = await Promise.all([startServer(), startServer({ publicUrl: PUBLIC_URL })]);
  });
  afterAll(async () => {
    await Promise.all([s.close(), pub.close()]);
  });

  const sxcu = (server: TestServer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/misc/sharex/${new URL(server.url).host}.sxcu`, { headers });

  const loginCookie = async (server: TestServer, username: string): Promise<string> => {
    const reg = await fetch(`${server.url}/api/user/register`, {
      method: 'POST',
      body: new URLSearchParams({ username, password: PASSWORD }),
    });
    expect(reg.status).toBe(201);
    const r = await fetch(`${server.url}/api/user/login`, {
      method: 'POST',
      body: new URLSearchParams({ username, password: PASSWORD }),
    });
    expect(r.status).toBe(201);
    return r.headers.getSetCookie()[0]!.split(';')[0]!;
  };

  it('anonymous: a PUT uploader for this origin, as an attachment', async () => {
    const r = await sxcu(s);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="[^"/\\]+\.sxcu"$/);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const c = (await r.json()) as Sxcu;
    expect(c).not.toHaveProperty('Headers');
    expect(c).toMatchObject({
      Version: expect.any(String),
      DestinationType: expect.stringContaining('FileUploader'),
      RequestMethod: 'PUT',
      RequestURL: `${s.url}/api/file/{filename}`,
      Body: 'Binary',
      URL: `${s.url}/u/{json:id}`,
      ThumbnailURL: `${s.url}/api/file/{json:id}/thumbnail`,
    });
    expect(c.RequestURL.endsWith('/api/file/{filename}')).toBe(true);
  });

  it('the anonymous config works as ShareX would use it', async () => {
    const c = (await (await sxcu(s)).json()) as Sxcu;
    const r = await fetch(c.RequestURL.replace('{filename}', 'screenshot.png'), {
      method: c.RequestMethod,
      body: 'not really a png',
    });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as { id: string };
    expect(c.URL.replace('{json:id}', id)).toBe(`${s.url}/u/${id}`);
  });

  it('only .sxcu files are served', async () => {
    const r = await fetch(`${s.url}/misc/sharex/config.json`);
    expect(r.status).toBe(404);
  });

  it('with publicUrl configured, every URL uses it', async () => {
    const r = await sxcu(pub);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe(
      'attachment; filename="files.example.org.sxcu"',
    );
    const c = (await r.json()) as Sxcu;
    expect(c.RequestURL).toBe(`${PUBLIC_URL}/api/file/{filename}`);
    expect(c.URL).toBe(`${PUBLIC_URL}/u/{json:id}`);
    expect(c.ThumbnailURL).toBe(`${PUBLIC_URL}/api/file/{json:id}/thumbnail`);
    const text = JSON.stringify(c);
    expect(text).not.toContain('127.0.0.1');
  });

  it('logged in (cookie): Basic auth with a new working key, listed as a "sharex" session', async () => {
    const cookie = await loginCookie(s, 'screenshotter');
    const before = (await (
      await fetch(`${s.url}/api/user/session`, { headers: { Cookie: cookie } })
    ).json()) as { app_name: string }[];
    expect(before.map((x) => x.app_name)).not.toContain('sharex');

    // As the keys page fetches it (same-origin).
    const r = await sxcu(s, { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' });
    expect(r.status).toBe(200);
    // A fresh key in every response: never cached.
    expect(r.headers.get('cache-control')).toMatch(/no-store/);
    const c = (await r.json()) as Sxcu;
    expect(c.Headers).toBeDefined();
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(c.Headers!.Authorization ?? '');
    expect(m).not.toBeNull();
    const decoded = Buffer.from(m![1]!, 'base64').toString('utf8');
    const apiKey = decoded.slice(decoded.indexOf(':') + 1);
    expect(apiKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(cookie).not.toContain(apiKey);
    expect(c.DeletionURL).toEqual(expect.any(String));

    // Upload exactly as ShareX would: its headers, its method, its URL.
    const up = await fetch(c.RequestURL.replace('{filename}', encodeURIComponent('shot 1.png')), {
      method: c.RequestMethod,
      headers: c.Headers,
      body: 'pixels',
    });
    expect(up.status).toBe(201);
    const uploaded = (await up.json()) as { id: string; can_edit: boolean };
    expect(uploaded.can_edit).toBe(true);
    const mine = (await (
      await fetch(`${s.url}/api/user/files`, { headers: { Cookie: cookie } })
    ).json()) as { files: { id: string; name: string }[] };
    expect(mine.files).toEqual([expect.objectContaining({ id: uploaded.id, name: 'shot 1.png' })]);

    const after = (await (
      await fetch(`${s.url}/api/user/session`, { headers: { Cookie: cookie } })
    ).json()) as { app_name: string }[];
    expect(after.filter((x) => x.app_name === 'sharex')).toHaveLength(1);
    expect(after).toHaveLength(before.length + 1);
  });

  it('a stale cookie gives the anonymous config', async () => {
    const r = await sxcu(s, { Cookie: 'pd_auth_key=00000000-0000-4000-8000-000000000000' });
    expect(r.status).toBe(200);
    expect((await r.json()) as Sxcu).not.toHaveProperty('Headers');
  });

  it('a forged Host header does not end up in the file', async () => {
    for (const host of ['evil.com/"x', 'evil.com"', 'a b', 'evil.com:80/path?q']) {
      const r = await rawGet(`${s.url}/misc/sharex/x.sxcu`, { Host: host });
      if (r.status !== 200) {
        // Refusing the request outright is fine too.
        expect(r.status, host).toBeGreaterThanOrEqual(400);
        expect(r.status, host).toBeLessThan(500);
        continue;
      }
      expect(r.body).not.toContain('evil');
      expect(r.body).not.toContain('"x');
      expect(r.body).not.toContain('a b');
      expect(String(r.headers['content-disposition'])).toMatch(
        /^attachment; filename="[A-Za-z0-9._-]+\.sxcu"$/,
      );
      // The file still points at the server itself, so it is usable.
      const c = JSON.parse(r.body) as Sxcu;
      expect(c.RequestURL, host).toBe(`${s.url}/api/file/{filename}`);
      expect(c.URL, host).toBe(`${s.url}/u/{json:id}`);
      expect(c.ThumbnailURL, host).toBe(`${s.url}/api/file/{json:id}/thumbnail`);
    }
  });

  it('a plain Host (a name the server is reached by) is used as is', async () => {
    const port = new URL(s.url).port;
    const r = await rawGet(`${s.url}/misc/sharex/files.local.sxcu`, {
      Host: `files.local:${port}`,
    });
    expect(r.status).toBe(200);
    const c = JSON.parse(r.body) as Sxcu;
    expect(c.RequestURL).toBe(`http://files.local:${port}/api/file/{filename}`);
  });
});
