import { afterEach, describe, expect, it } from 'vitest';
import { basic, startServer, type TestServer } from './helpers.js';

/**
 * One password limit for every path that checks a password (issue 13 item 11): pixeldrain's
 * login, FileBin's create_apikey with username and password, the password change; per client
 * address and per account, counted before any hashing, answered 429 in each dialect's shape.
 */

const PASSWORD = 'correct horse battery';
let s: TestServer | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

async function start(limit: number, more: Record<string, unknown> = {}): Promise<TestServer> {
  s = await startServer({ authRateLimit: limit, ...more });
  return s;
}

function pdLogin(server: TestServer, username: string, password: string, ip?: string) {
  return fetch(`${server.url}/api/user/login`, {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
    headers: ip ? { 'X-Forwarded-For': ip } : {},
  });
}

function fbCreateKey(server: TestServer, username: string, password: string) {
  return fetch(`${server.url}/api/v2.2.0/user/create_apikey`, {
    method: 'POST',
    body: new URLSearchParams({ username, password, access_level: 'apikey' }),
  });
}

function expectRetryAfter(r: Response) {
  const retry = Number(r.headers.get('retry-after'));
  expect(Number.isInteger(retry)).toBe(true);
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(60);
}

async function expectFbLimited(r: Response) {
  expect(r.status).toBe(429);
  expectRetryAfter(r);
  expect(await r.json()).toEqual({
    status: 'error',
    error_id: 'user/login-rate-limited',
    message: expect.stringMatching(/^Too many login attempts, try again in \d+ seconds$/),
  });
}

async function expectPdLimited(r: Response) {
  expect(r.status).toBe(429);
  expectRetryAfter(r);
  expect(await r.json()).toEqual({
    success: false,
    value: 'ip_rate_limit_reached',
    message: expect.any(String),
  });
}

describe('the password limit', () => {
  it('FileBin create_apikey with username and password is limited (it was never)', async () => {
    const server = await start(3);
    await server.app.runtime.core.accounts.createUser('victim', PASSWORD, false);
    for (let i = 0; i < 3; i++) {
      const r = await fbCreateKey(server, 'victim', `guess number ${i}`);
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({
        status: 'error',
        error_id: 'user/login-failed',
        message: 'Login failed',
      });
    }
    await expectFbLimited(await fbCreateKey(server, 'victim', 'guess number 4'));
    // Over the limit even the right password is refused: the check comes before the hash.
    await expectFbLimited(await fbCreateKey(server, 'victim', PASSWORD));
  });

  it('is one budget across APIs: pixeldrain logins and FileBin key requests count together', async () => {
    const server = await start(3);
    await server.app.runtime.core.accounts.createUser('shared', PASSWORD, false);
    expect((await pdLogin(server, 'shared', 'wrong guess 1')).status).toBe(400);
    expect((await fbCreateKey(server, 'shared', 'wrong guess 2')).status).toBe(400);
    expect((await pdLogin(server, 'shared', 'wrong guess 3')).status).toBe(400);
    await expectFbLimited(await fbCreateKey(server, 'shared', PASSWORD));
    await expectPdLimited(await pdLogin(server, 'shared', PASSWORD));
  });

  it('the password change counts too (a stolen full key cannot guess the password)', async () => {
    const server = await start(2);
    const { accounts } = server.app.runtime.core;
    await accounts.createUser('changer', PASSWORD, false);
    const { key } = await accounts.createKey('changer', 'test', '127.0.0.1');
    const change = (old: string) =>
      fetch(`${server.url}/api/user/password`, {
        method: 'PUT',
        body: new URLSearchParams({ old_password: old, new_password: 'a brand new password' }),
        headers: { Authorization: basic(key) },
      });
    expect((await change('wrong guess 1')).status).toBe(400);
    expect((await change('wrong guess 2')).status).toBe(400);
    await expectPdLimited(await change(PASSWORD));
    // The same client's logins are over the limit as well.
    await expectPdLimited(await pdLogin(server, 'changer', PASSWORD));
  });

  it('per account: guesses from many addresses add up (5 times the per-client limit)', async () => {
    const server = await start(2, { trustProxy: true });
    await server.app.runtime.core.accounts.createUser('target', PASSWORD, false);
    // 5 addresses × 2 guesses: each address within its own limit, the account at its limit.
    for (let ip = 1; ip <= 5; ip++) {
      for (let i = 0; i < 2; i++) {
        const r = await pdLogin(server, 'target', `guess ${ip}.${i}`, `198.51.100.${ip}`);
        expect(r.status, `198.51.100.${ip}`).toBe(400);
      }
    }
    await expectPdLimited(await pdLogin(server, 'target', PASSWORD, '198.51.100.99'));
    // Another account from a fresh address is not affected.
    await server.app.runtime.core.accounts.createUser('bystander', PASSWORD, false);
    expect((await pdLogin(server, 'bystander', PASSWORD, '198.51.100.98')).status).toBe(201);
  });
});
