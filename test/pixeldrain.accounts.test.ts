import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startServer, type TestServer } from './helpers.js';

/** Accounts over real HTTP: registration, login, sessions (API keys), the user object. */

type Json = Record<string, unknown>;
type Session = {
  auth_key?: string;
  id: string;
  app_name: string;
  creation_ip_address: string;
  user_agent: string;
  creation_time: string;
  last_used_time: string;
};

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CREATED_BODY =
  '{"success":true,"value":"created","message":"The submitted resource was created"}';
const OK_BODY =
  '{"success":true,"value":"ok","message":"The requested action was successfully performed"}';
const PASSWORD = 'correct horse battery';

/** Distinct usernames per test run (all servers are fresh, but tests within one share it). */
let counter = 0;
const uname = (prefix: string) => `${prefix}_${++counter}`;

function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), headers });
}

async function register(
  s: TestServer,
  username: string,
  password = PASSWORD,
  email?: string,
): Promise<void> {
  const r = await post(`${s.url}/api/user/register`, {
    username,
    password,
    ...(email ? { email } : {}),
  });
  expect(r.status, await r.clone().text()).toBe(201);
}

function login(
  s: TestServer,
  username: string,
  password = PASSWORD,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  return post(`${s.url}/api/user/login`, { username, password, ...extra }, headers);
}

async function loginKey(s: TestServer, username: string, password = PASSWORD): Promise<string> {
  const r = await login(s, username, password);
  expect(r.status).toBe(201);
  return ((await r.json()) as Session).auth_key!;
}

/** A registered user and a key of theirs. */
async function newUser(s: TestServer, prefix: string, email?: string) {
  const username = uname(prefix);
  await register(s, username, PASSWORD, email);
  return { username, key: await loginKey(s, username) };
}

const getUser = (s: TestServer, headers: Record<string, string>) =>
  fetch(`${s.url}/api/user`, { headers });

async function upload(s: TestServer, key: string, name: string, body: string | Uint8Array) {
  const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { Authorization: basic(key) },
  });
  expect(r.status, await r.clone().text()).toBe(201);
  return (await r.json()) as { id: string; size: number };
}

describe('pixeldrain accounts', () => {
  let s: TestServer;
  const MAX_FILE_SIZE = 50 * 1024 * 1024;

  beforeAll(async () => {
    // Many logins below: a high limit here; the limit itself is tested on a server of its own.
    s = await startServer({ authRateLimit: 10_000, maxFileSize: '50MiB' });
  });
  afterAll(() => s.close());

  describe('POST /api/user/register', () => {
    it('201 with the generic created body; the account can log in', async () => {
      const username = uname('reg');
      const r = await post(`${s.url}/api/user/register`, { username, password: PASSWORD });
      expect(r.status).toBe(201);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await r.text()).toBe(CREATED_BODY);
      expect((await login(s, username)).status).toBe(201);
    });

    it('accepts multipart/form-data as well', async () => {
      const username = uname('regmp');
      const form = new FormData();
      form.append('username', username);
      form.append('password', PASSWORD);
      const r = await fetch(`${s.url}/api/user/register`, { method: 'POST', body: form });
      expect(r.status).toBe(201);
      expect(await r.text()).toBe(CREATED_BODY);
    });

    it('reports every invalid field at once as 400 multiple_errors', async () => {
      const r = await post(`${s.url}/api/user/register`, { username: 'ab', email: 'nope' });
      expect(r.status).toBe(400);
      const body = (await r.json()) as Json & { errors: Json[] };
      expect(body).toMatchObject({ success: false, value: 'multiple_errors' });
      expect(body.message).toEqual(expect.any(String));
      expect(body.errors).toEqual([
        {
          success: false,
          value: 'string_out_of_range',
          message: expect.any(String),
          extra: { field: 'username', min_len: 3, max_len: 64, len: 2 },
        },
        {
          success: false,
          value: 'invalid_email_address',
          message: expect.any(String),
          extra: { field: 'email' },
        },
        {
          success: false,
          value: 'missing_field',
          message: expect.any(String),
          extra: { field: 'password' },
        },
      ]);
    });

    it('an illegal character -> field_contains_illegal_character with char and position', async () => {
      const r = await post(`${s.url}/api/user/register`, {
        username: 'bad name',
        password: PASSWORD,
      });
      expect(r.status).toBe(400);
      const body = (await r.json()) as { value: string; errors: Json[] };
      expect(body.value).toBe('multiple_errors');
      expect(body.errors).toEqual([
        {
          success: false,
          value: 'field_contains_illegal_character',
          message: expect.any(String),
          extra: { field: 'username', char: ' ', char_position: 3 },
        },
      ]);
    });

    it('a missing username and a too short password', async () => {
      const r = await post(`${s.url}/api/user/register`, { password: 'short' });
      expect(r.status).toBe(400);
      const body = (await r.json()) as { value: string; errors: Json[] };
      expect(body.value).toBe('multiple_errors');
      expect(body.errors.map((e) => [e.value, (e.extra as Json).field])).toEqual([
        ['missing_field', 'username'],
        ['string_out_of_range', 'password'],
      ]);
      expect(body.errors[1]!.extra).toMatchObject({ len: 5 });
    });

    it('a taken username -> 400 username_already_registered', async () => {
      const username = uname('dup');
      await register(s, username);
      const r = await post(`${s.url}/api/user/register`, { username, password: 'another pw 123' });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({
        success: false,
        value: 'username_already_registered',
      });
      // The first account is untouched.
      expect((await login(s, username)).status).toBe(201);
      expect((await login(s, username, 'another pw 123')).status).toBe(400);
    });
    it('a taken e-mail address -> 400 email_address_already_registered', async () => {
      await register(s, uname('mailA'), PASSWORD, 'shared@example.com');
      const r = await post(`${s.url}/api/user/register`, {
        username: uname('mailB'),
        password: PASSWORD,
        email: 'shared@example.com',
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({
        success: false,
        value: 'email_address_already_registered',
      });
    });
  });

  describe('POST /api/user/login', () => {
    let username: string;
    const email = 'login.user@example.com';

    beforeAll(async () => {
      username = uname('login');
      await register(s, username, PASSWORD, email);
    });

    it('201 with the session object and a pd_auth_key cookie', async () => {
      const before = Date.now();
      const r = await login(s, username, PASSWORD, { app_name: 'my test app' });
      expect(r.status).toBe(201);
      const session = (await r.json()) as Session;
      expect(session).toMatchObject({
        auth_key: expect.stringMatching(UUID),
        creation_ip_address: '127.0.0.1',
        user_agent: expect.any(String),
        app_name: 'my test app',
        creation_time: expect.stringMatching(ISO_MS),
        last_used_time: expect.stringMatching(ISO_MS),
      });
      expect(Object.keys(session)[0]).toBe('auth_key');
      const created = Date.parse(session.creation_time);
      expect(created).toBeGreaterThanOrEqual(before - 5);
      expect(created).toBeLessThanOrEqual(Date.now() + 5);

      const cookies = r.headers.getSetCookie();
      expect(cookies).toHaveLength(1);
      const [pair, ...attrs] = cookies[0]!.split(';').map((p) => p.trim());
      expect(pair).toBe(`pd_auth_key=${session.auth_key}`);
      const lower = attrs.map((a) => a.toLowerCase());
      expect(lower).toContain('httponly');
      expect(lower).toContain('samesite=lax');
      expect(lower).toContain('path=/');
      // Plain http: a Secure cookie would never come back.
      expect(lower).not.toContain('secure');
    });

    it('keeps the User-Agent of the client; app_name defaults to a login name', async () => {
      const r = await login(s, username, PASSWORD, {});
      const session = (await r.json()) as Session;
      expect(session.app_name).toEqual(expect.any(String));
      const r2 = await fetch(`${s.url}/api/user/login`, {
        method: 'POST',
        body: new URLSearchParams({ username, password: PASSWORD }),
        headers: { 'User-Agent': 'StowageTest/1.0' },
      });
      expect(((await r2.json()) as Session).user_agent).toBe('StowageTest/1.0');
    });

    it('the e-mail address works as the username', async () => {
      const r = await login(s, email);
      expect(r.status).toBe(201);
      const { auth_key } = (await r.json()) as Session;
      const u = await getUser(s, { Authorization: basic(auth_key!) });
      expect(((await u.json()) as Json).username).toBe(username);
    });

    it('a wrong password -> 400 password_incorrect, no cookie', async () => {
      const r = await login(s, username, 'not the password');
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({
        success: false,
        value: 'password_incorrect',
        message: expect.any(String),
      });
      expect(r.headers.getSetCookie()).toEqual([]);
    });

    it('an unknown user -> 404 user_not_found', async () => {
      for (const who of ['nobody_here', 'nobody@example.com']) {
        const r = await login(s, who);
        expect(r.status, who).toBe(404);
        expect(await r.json()).toMatchObject({ success: false, value: 'user_not_found' });
      }
    });

    it('a login posted from another site -> 400 request_origin_invalid; same origin works', async () => {
      const r = await login(s, username, PASSWORD, {}, { Origin: 'https://evil.example' });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ success: false, value: 'request_origin_invalid' });
      expect(r.headers.getSetCookie()).toEqual([]);
      expect((await login(s, username, PASSWORD, {}, { Origin: s.url })).status).toBe(201);
    });

    it('the login cookie alone authenticates GET /api/user', async () => {
      const r = await login(s, username);
      const cookie = r.headers.getSetCookie()[0]!.split(';')[0]!;
      const u = await getUser(s, { Cookie: cookie });
      expect(u.status).toBe(200);
      expect(((await u.json()) as Json).username).toBe(username);
    });
  });

  describe('GET /api/user', () => {
    it('has every UserInfo field of the spec, in order, with the right types', async () => {
      const { username, key } = await newUser(s, 'info', 'info.user@example.com');
      const r = await getUser(s, { Authorization: basic(key) });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const u = (await r.json()) as Json & { subscription: Json };
      expect(Object.keys(u)).toEqual([
        'id',
        'username',
        'email',
        'email_verified',
        'otp_enabled',
        'subscription',
        'storage_space_used',
        'filesystem_storage_used',
        'file_count',
        'filesystem_node_count',
        'is_admin',
        'balance_micro_eur',
        'hotlinking_enabled',
        'monthly_transfer_cap',
        'monthly_transfer_used',
        'file_viewer_branding',
        'file_embed_domains',
        'skip_file_viewer',
        'affiliate_user_name',
        'checkout_country',
        'checkout_name',
        'checkout_provider',
      ]);
      expect(Object.keys(u.subscription)).toEqual([
        'id',
        'name',
        'type',
        'file_size_limit',
        'file_expiry_days',
        'storage_space',
        'price_per_tb_storage',
        'price_per_tb_bandwidth',
        'monthly_transfer_cap',
        'file_viewer_branding',
        'filesystem_access',
        'filesystem_storage_limit',
      ]);
      expect(u).toMatchObject({
        id: expect.any(String),
        username,
        email: 'info.user@example.com',
        email_verified: expect.any(Boolean),
        otp_enabled: false,
        storage_space_used: 0,
        filesystem_storage_used: 0,
        file_count: 0,
        filesystem_node_count: 0,
        is_admin: false,
        balance_micro_eur: 0,
        hotlinking_enabled: expect.any(Boolean),
        monthly_transfer_cap: expect.any(Number),
        monthly_transfer_used: expect.any(Number),
        file_embed_domains: '',
        skip_file_viewer: false,
        affiliate_user_name: '',
        checkout_country: '',
        checkout_name: '',
        checkout_provider: '',
      });
      expect((u.id as string).length).toBeGreaterThan(0);
      const sub = u.subscription;
      expect(sub).toMatchObject({
        id: expect.any(String),
        name: expect.any(String),
        type: expect.any(String),
        file_size_limit: MAX_FILE_SIZE,
        file_expiry_days: expect.any(Number),
        storage_space: expect.any(Number),
        price_per_tb_storage: expect.any(Number),
        price_per_tb_bandwidth: expect.any(Number),
        monthly_transfer_cap: expect.any(Number),
        file_viewer_branding: expect.any(Boolean),
        filesystem_access: expect.any(Boolean),
        filesystem_storage_limit: expect.any(Number),
      });
      // JDownloader: a free plan is type "" or "free"; rclone: -1 = unlimited storage, else the
      // account's quota (the instance default, STOWAGE_USER_STORAGE_QUOTA).
      expect(['', 'free']).toContain(sub.type);
      expect(sub.storage_space).toBe(s.app.runtime.config.userStorageQuota);
      expect(sub.file_expiry_days).toBe(60);
    });

    it('email is a string even without an e-mail address', async () => {
      const { key } = await newUser(s, 'noemail');
      const u = (await (await getUser(s, { Authorization: basic(key) })).json()) as Json;
      expect(u.email).toBe('');
    });

    it('storage_space_used and file_count follow uploads and deletes', async () => {
      const { key } = await newUser(s, 'usage');
      const auth = { Authorization: basic(key) };
      const usage = async () => {
        const u = (await (await getUser(s, auth)).json()) as Json;
        return [u.storage_space_used, u.file_count];
      };
      expect(await usage()).toEqual([0, 0]);
      const a = await upload(s, key, 'a.txt', 'x'.repeat(10));
      expect(await usage()).toEqual([10, 1]);
      const big = new Uint8Array(100_000).fill(7);
      await upload(s, key, 'b.bin', big);
      expect(await usage()).toEqual([100_010, 2]);
      // Identical content still counts for each file.
      await upload(s, key, 'a-again.txt', 'x'.repeat(10));
      expect(await usage()).toEqual([100_020, 3]);
      const d = await fetch(`${s.url}/api/file/${a.id}`, { method: 'DELETE', headers: auth });
      expect(d.status).toBe(200);
      expect(await usage()).toEqual([100_010, 2]);
    });
  });

  describe('authentication errors', () => {
    it('no key on a key-only endpoint -> 401 authentication_required', async () => {
      for (const [method, path] of [
        ['GET', '/api/user'],
        ['PUT', '/api/user'],
        ['DELETE', '/api/user'],
        ['GET', '/api/user/session'],
        ['POST', '/api/user/session'],
        ['DELETE', '/api/user/session'],
        ['GET', '/api/user/files'],
        ['GET', '/api/user/lists'],
      ] as const) {
        const r = await fetch(`${s.url}${path}`, { method });
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(await r.json()).toEqual({
          success: false,
          value: 'authentication_required',
          message: expect.any(String),
        });
      }
    });

    it('a garbage or unknown key -> 401 authentication_failed', async () => {
      for (const headers of [
        { Authorization: basic('garbage') },
        { Authorization: basic(randomUUID()) },
        { Authorization: basic(randomUUID(), 'someone') },
        { Cookie: `pd_auth_key=${randomUUID()}` },
        { Cookie: 'pd_auth_key=garbage' },
      ] as Record<string, string>[]) {
        const r = await getUser(s, headers);
        expect(r.status, JSON.stringify(headers)).toBe(401);
        expect(await r.json()).toEqual({
          success: false,
          value: 'authentication_failed',
          message: 'The provided API key is invalid, has been revoked or has expired',
        });
      }
    });

    it('an empty Basic password (curl -u ":$KEY" with KEY unset) is refused, not anonymous', async () => {
      const empty = [basic(''), basic('', 'someone'), basic('  ')];
      for (const Authorization of empty) {
        expect((await getUser(s, { Authorization })).status).toBe(401);
        const put = await fetch(`${s.url}/api/file/anon.txt`, {
          method: 'PUT',
          headers: { Authorization },
          body: 'should not be stored',
        });
        expect(put.status, Authorization).toBe(401);
        expect(((await put.json()) as { value: string }).value).toBe('authentication_failed');
      }
      // A download tool that always sends Basic auth, with no key set, still reads public files.
      const up = await fetch(`${s.url}/api/file/public.txt`, { method: 'PUT', body: 'hello' });
      const { id } = (await up.json()) as { id: string };
      const get = await fetch(`${s.url}/api/file/${id}`, { headers: { Authorization: basic('') } });
      expect(get.status).toBe(200);
      expect(await get.text()).toBe('hello');
    });

    it('the Basic username is ignored (ShareX sends username:key)', async () => {
      const { username, key } = await newUser(s, 'basicuser');
      for (const user of ['', username, 'someone-else']) {
        const r = await getUser(s, { Authorization: basic(key, user) });
        expect(r.status, user).toBe(200);
      }
    });
  });

  describe('/api/user/session', () => {
    it('POST creates a key (201, app_name); GET lists sessions without their keys', async () => {
      const { key } = await newUser(s, 'sess');
      const r = await post(
        `${s.url}/api/user/session`,
        { app_name: 'backup script' },
        { Authorization: basic(key), 'User-Agent': 'SessionTest/2' },
      );
      expect(r.status).toBe(201);
      const created = (await r.json()) as Session;
      expect(created).toMatchObject({
        auth_key: expect.stringMatching(UUID),
        app_name: 'backup script',
        creation_ip_address: '127.0.0.1',
        user_agent: 'SessionTest/2',
        creation_time: expect.stringMatching(ISO_MS),
        last_used_time: expect.stringMatching(ISO_MS),
      });
      expect(created.auth_key).not.toBe(key);
      // The new key works on its own.
      expect((await getUser(s, { Authorization: basic(created.auth_key!) })).status).toBe(200);

      const l = await fetch(`${s.url}/api/user/session`, {
        headers: { Authorization: basic(created.auth_key!) },
      });
      expect(l.status).toBe(200);
      const text = await l.text();
      const sessions = JSON.parse(text) as Session[];
      expect(Array.isArray(sessions)).toBe(true);
      expect(sessions).toHaveLength(2);
      for (const sess of sessions) {
        expect(sess).not.toHaveProperty('auth_key');
        expect(sess).toMatchObject({
          creation_ip_address: '127.0.0.1',
          user_agent: expect.any(String),
          app_name: expect.any(String),
          creation_time: expect.stringMatching(ISO_MS),
          last_used_time: expect.stringMatching(ISO_MS),
        });
      }
      expect(sessions.map((x) => x.app_name)).toContain('backup script');
      // No key appears anywhere in the listing.
      expect(text).not.toContain(key);
      expect(text).not.toContain(created.auth_key!);
    });

    it('DELETE revokes the key used: it then fails with authentication_failed, others still work', async () => {
      const { username, key } = await newUser(s, 'logout');
      const other = await loginKey(s, username);
      const r = await fetch(`${s.url}/api/user/session`, {
        method: 'DELETE',
        headers: { Authorization: basic(key) },
      });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);
      // Logging out also clears the cookie.
      const cleared = r.headers.getSetCookie();
      expect(cleared).toHaveLength(1);
      expect(cleared[0]).toMatch(/^pd_auth_key=;/);
      expect(cleared[0]).toMatch(/Max-Age=0/i);

      const revoked: Record<string, string>[] = [
        { Authorization: basic(key) },
        { Cookie: `pd_auth_key=${key}` },
      ];
      for (const headers of revoked) {
        const g = await getUser(s, headers);
        expect(g.status).toBe(401);
        expect(await g.json()).toMatchObject({ value: 'authentication_failed' });
      }
      expect((await getUser(s, { Authorization: basic(other) })).status).toBe(200);
      const l = (await (
        await fetch(`${s.url}/api/user/session`, { headers: { Authorization: basic(other) } })
      ).json()) as Session[];
      expect(l).toHaveLength(1);
    });

    it('DELETE ?id= revokes another key of the caller', async () => {
      const { key } = await newUser(s, 'revoke');
      const auth = { Authorization: basic(key) };
      const created = (await (
        await post(`${s.url}/api/user/session`, { app_name: 'to be revoked' }, auth)
      ).json()) as Session;
      const list = (await (
        await fetch(`${s.url}/api/user/session`, { headers: auth })
      ).json()) as Session[];
      const target = list.find((x) => x.app_name === 'to be revoked');
      expect(target).toBeDefined();
      expect(target!.id).toEqual(expect.any(String));

      const r = await fetch(`${s.url}/api/user/session?id=${encodeURIComponent(target!.id)}`, {
        method: 'DELETE',
        headers: auth,
      });
      expect(r.status).toBe(200);
      // Revoking another key does not log the caller out.
      expect(r.headers.getSetCookie()).toEqual([]);
      const g = await getUser(s, { Authorization: basic(created.auth_key!) });
      expect(g.status).toBe(401);
      expect(await g.json()).toMatchObject({ value: 'authentication_failed' });
      expect((await getUser(s, auth)).status).toBe(200);
      const after = (await (
        await fetch(`${s.url}/api/user/session`, { headers: auth })
      ).json()) as Session[];
      expect(after.map((x) => x.id)).not.toContain(target!.id);
    });

    it("DELETE ?id= with another user's key id -> 404 and that key keeps working", async () => {
      const alice = await newUser(s, 'alice');
      const bob = await newUser(s, 'bob');
      const bobs = (await (
        await fetch(`${s.url}/api/user/session`, { headers: { Authorization: basic(bob.key) } })
      ).json()) as Session[];
      expect(bobs).toHaveLength(1);
      for (const id of [bobs[0]!.id, 'NoSuchKeyId']) {
        const r = await fetch(`${s.url}/api/user/session?id=${encodeURIComponent(id)}`, {
          method: 'DELETE',
          headers: { Authorization: basic(alice.key) },
        });
        expect(r.status, id).toBe(404);
        expect(await r.json()).toMatchObject({ success: false, value: 'not_found' });
      }
      expect((await getUser(s, { Authorization: basic(bob.key) })).status).toBe(200);
      expect((await getUser(s, { Authorization: basic(alice.key) })).status).toBe(200);
    });
  });

  describe('cookie authentication and the Origin header', () => {
    it('a cookie-authenticated write from another site -> 400 request_origin_invalid', async () => {
      const { key } = await newUser(s, 'origin');
      const cookie = `pd_auth_key=${key}`;
      for (const origin of ['https://evil.example', 'http://127.0.0.1:1', 'null']) {
        const r = await post(
          `${s.url}/api/user/session`,
          { app_name: 'csrf' },
          { Cookie: cookie, Origin: origin },
        );
        expect(r.status, origin).toBe(400);
        expect(await r.json()).toMatchObject({ success: false, value: 'request_origin_invalid' });
      }
      // Nothing was created.
      const list = (await (
        await fetch(`${s.url}/api/user/session`, { headers: { Cookie: cookie } })
      ).json()) as Session[];
      expect(list.map((x) => x.app_name)).not.toContain('csrf');

      // Same origin, or no Origin at all (non-browser clients): fine.
      const same = await post(
        `${s.url}/api/user/session`,
        { app_name: 'same origin' },
        { Cookie: cookie, Origin: s.url },
      );
      expect(same.status).toBe(201);
      const none = await post(
        `${s.url}/api/user/session`,
        { app_name: 'no origin' },
        { Cookie: cookie },
      );
      expect(none.status).toBe(201);
    });

    it('a Basic-authenticated write is not subject to the Origin check', async () => {
      const { key } = await newUser(s, 'originbasic');
      const r = await post(
        `${s.url}/api/user/session`,
        { app_name: 'cli' },
        { Authorization: basic(key), Origin: 'https://elsewhere.example' },
      );
      expect(r.status).toBe(201);
    });
  });

  describe('PUT /api/user', () => {
    it('password_new (with old_password) changes the password: the old one fails, the new one works', async () => {
      const { username, key } = await newUser(s, 'pwchange');
      const r = await fetch(`${s.url}/api/user`, {
        method: 'PUT',
        body: new URLSearchParams({ password_new: 'a brand new password', old_password: PASSWORD }),
        headers: { Authorization: basic(key) },
      });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);
      const old = await login(s, username, PASSWORD);
      expect(old.status).toBe(400);
      expect(await old.json()).toMatchObject({ value: 'password_incorrect' });
      expect((await login(s, username, 'a brand new password')).status).toBe(201);
    });

    it('a too short password_new -> 400 multiple_errors and the password stays', async () => {
      const { username, key } = await newUser(s, 'pwshort');
      const r = await fetch(`${s.url}/api/user`, {
        method: 'PUT',
        body: new URLSearchParams({ password_new: 'abc', old_password: PASSWORD }),
        headers: { Authorization: basic(key) },
      });
      expect(r.status).toBe(400);
      const body = (await r.json()) as { value: string; errors: Json[] };
      expect(body.value).toBe('multiple_errors');
      expect(body.errors).toEqual([
        expect.objectContaining({
          value: 'string_out_of_range',
          extra: expect.objectContaining({ field: 'password_new', len: 3 }),
        }),
      ]);
      expect((await login(s, username, PASSWORD)).status).toBe(201);
    });

    it('a taken username -> 400 username_already_registered', async () => {
      const a = await newUser(s, 'renA');
      const b = await newUser(s, 'renB');
      const r = await fetch(`${s.url}/api/user`, {
        method: 'PUT',
        body: new URLSearchParams({ username: a.username, old_password: PASSWORD }),
        headers: { Authorization: basic(b.key) },
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ value: 'username_already_registered' });
      const u = (await (await getUser(s, { Authorization: basic(b.key) })).json()) as Json;
      expect(u.username).toBe(b.username);
    });
  });

  describe('DELETE /api/user', () => {
    it('removes the account: its files, lists and keys are gone', async () => {
      const { username, key } = await newUser(s, 'leaver');
      const other = await loginKey(s, username);
      const auth = { Authorization: basic(key) };
      const f1 = await upload(s, key, 'mine.txt', 'my data');
      const f2 = await upload(s, key, 'big.bin', new Uint8Array(200_000).fill(3));
      const l = await fetch(`${s.url}/api/list`, {
        method: 'POST',
        body: JSON.stringify({ title: 'mine', files: [{ id: f1.id }, { id: f2.id }] }),
        headers: auth,
      });
      expect(l.status).toBe(201);
      const listId = ((await l.json()) as { id: string }).id;
      // Someone else's file is not affected.
      const bystander = await newUser(s, 'bystander');
      const kept = await upload(s, bystander.key, 'kept.txt', 'my data');

      const r = await fetch(`${s.url}/api/user`, { method: 'DELETE', headers: auth });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(OK_BODY);

      for (const id of [f1.id, f2.id]) {
        const i = await fetch(`${s.url}/api/file/${id}/info`);
        expect(i.status, id).toBe(404);
        expect((await fetch(`${s.url}/api/file/${id}`)).status).toBe(404);
      }
      expect((await fetch(`${s.url}/api/list/${listId}`)).status).toBe(404);
      for (const k of [key, other]) {
        const g = await getUser(s, { Authorization: basic(k) });
        expect(g.status).toBe(401);
        expect(await g.json()).toMatchObject({ value: 'authentication_failed' });
      }
      const again = await login(s, username);
      expect(again.status).toBe(404);
      expect(await again.json()).toMatchObject({ value: 'user_not_found' });

      const k = await fetch(`${s.url}/api/file/${kept.id}`);
      expect(k.status).toBe(200);
      expect(await k.text()).toBe('my data');
      // The name is free again.
      await register(s, username);
    });
  });
});

describe('pixeldrain accounts: server settings', () => {
  let limited: TestServer;
  let closed: TestServer;

  beforeAll(async () => {
    [limited, closed] = await Promise.all([
      startServer({ authRateLimit: 3 }),
      startServer({ registration: 'closed' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([limited.close(), closed.close()]);
  });

  it('the 4th login in a minute with authRateLimit 3 -> 429 ip_rate_limit_reached + Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await login(limited, 'nobody', 'whatever1')).status);
    expect(statuses).toEqual([404, 404, 404]);
    const r = await login(limited, 'nobody', 'whatever1');
    expect(r.status).toBe(429);
    expect(await r.json()).toEqual({
      success: false,
      value: 'ip_rate_limit_reached',
      message: expect.any(String),
    });
    const retry = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(retry)).toBe(true);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
  });

  it('registration closed -> 403 and no account is created', async () => {
    const r = await post(`${closed.url}/api/user/register`, {
      username: 'wannabe',
      password: PASSWORD,
    });
    expect(r.status).toBe(403);
    expect(await r.json()).toMatchObject({ success: false, value: expect.any(String) });
    const l = await login(closed, 'wannabe');
    expect(l.status).toBe(404);
    expect(await l.json()).toMatchObject({ value: 'user_not_found' });
  });
});
