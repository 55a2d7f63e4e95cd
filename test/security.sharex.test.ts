import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startServer, type TestServer } from './helpers.js';

/**
 * The ShareX config (issue 13 items 10 and 12): a cross-site GET never makes a key for the
 * visitor's cookie, and the key it carries is upload-only.
 */

const PASSWORD = 'correct horse battery';
let s: TestServer;
let n = 0;

beforeAll(async () => {
  s = await startServer({ authRateLimit: 10_000 });
});
afterAll(() => s.close());

/** A registered user logged in through the API: the pd_auth_key cookie and a full key. */
async function loggedIn(): Promise<{ cookie: string; key: string }> {
  const username = `sx_${++n}`;
  await s.app.runtime.core.accounts.createUser(username, PASSWORD, false);
  const r = await fetch(`${s.url}/api/user/login`, {
    method: 'POST',
    body: new URLSearchParams({ username, password: PASSWORD }),
  });
  expect(r.status).toBe(201);
  const key = ((await r.json()) as { auth_key: string }).auth_key;
  return { cookie: `pd_auth_key=${key}`, key };
}

const sxcu = (headers: Record<string, string>) =>
  fetch(`${s.url}/misc/sharex/stowage.sxcu`, { headers });

async function sessionNames(key: string): Promise<string[]> {
  const r = await fetch(`${s.url}/api/user/session`, { headers: { Authorization: basic(key) } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { app_name: string }[]).map((k) => k.app_name);
}

/** The key inside a .sxcu file's Authorization header, or null. */
function keyOf(config: { Headers?: { Authorization?: string } }): string | null {
  const m = /^Basic (.+)$/.exec(config.Headers?.Authorization ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

describe('GET /misc/sharex/*.sxcu with the login cookie', () => {
  it('a cross-site navigation (or no Sec-Fetch-Site at all) creates no key: the anonymous file', async () => {
    const { cookie, key } = await loggedIn();
    for (const site of ['cross-site', 'same-site', null]) {
      const r = await sxcu({ Cookie: cookie, ...(site ? { 'Sec-Fetch-Site': site } : {}) });
      expect(r.status, String(site)).toBe(200);
      const config = (await r.json()) as Record<string, unknown>;
      expect(config, String(site)).not.toHaveProperty('Headers');
      expect(config, String(site)).not.toHaveProperty('DeletionURL');
    }
    expect(await sessionNames(key)).not.toContain('sharex');
  });

  it('same-origin (the keys page) and none (typed or bookmarked) make one key each', async () => {
    const { cookie, key } = await loggedIn();
    for (const site of ['same-origin', 'none']) {
      const r = await sxcu({ Cookie: cookie, 'Sec-Fetch-Site': site });
      expect(r.status).toBe(200);
      expect(keyOf((await r.json()) as object), site).not.toBeNull();
    }
    expect((await sessionNames(key)).filter((name) => name === 'sharex')).toHaveLength(2);
  });
});

describe('the key inside the .sxcu file', () => {
  it('uploads, and can do nothing else (basic level)', async () => {
    const { cookie } = await loggedIn();
    const r = await sxcu({ Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' });
    const sharexKey = keyOf((await r.json()) as object)!;
    const auth = { Authorization: basic(sharexKey) };
    const up = await fetch(`${s.url}/api/file/shot.png`, {
      method: 'PUT',
      body: 'pixels',
      headers: auth,
    });
    expect(up.status).toBe(201);
    const { id } = (await up.json()) as { id: string };
    for (const [method, path] of [
      ['GET', '/api/user/files'],
      ['GET', '/api/user/session'],
      ['POST', '/api/user/session'],
      ['DELETE', `/api/file/${id}`],
      ['DELETE', '/api/user'],
    ]) {
      const res = await fetch(`${s.url}${path}`, { method, headers: auth });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toMatchObject({ success: false, value: 'forbidden' });
    }
    // Nor can it make another .sxcu (key management).
    const again = await sxcu(auth);
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ value: 'forbidden' });
  });

  it('a full key sent as HTTP Basic gets a file with a new upload-only key', async () => {
    const { key } = await loggedIn();
    const r = await sxcu({ Authorization: basic(key) });
    expect(r.status).toBe(200);
    const principal = await s.app.runtime.core.accounts.authenticate(
      keyOf((await r.json()) as object)!,
    );
    expect(principal.accessLevel).toBe('basic');
  });
});
