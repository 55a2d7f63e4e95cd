import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startServer, type TestServer } from './helpers.js';

/**
 * Key levels hold on every API (issue 13 item 10): `basic` only uploads, `apikey` also reads and
 * changes what the account owns, `full` also manages the account and its keys; changing the
 * password, e-mail or username needs the current password.
 */

const PASSWORD = 'correct horse battery';
const FB = '/api/v2.2.0';
type Level = 'basic' | 'apikey' | 'full';

let s: TestServer;
let n = 0;

beforeAll(async () => {
  // Many password logins below: the limit itself is tested in security.passwords.test.ts.
  s = await startServer({ authRateLimit: 100_000 });
});
afterAll(() => s.close());

async function fbPost(path: string, fields: Record<string, string>) {
  const r = await fetch(s.url + FB + path, { method: 'POST', body: new URLSearchParams(fields) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** A user with a password and one key of each level, made as `fb` makes them. */
async function account(): Promise<{ username: string } & Record<Level, string>> {
  const username = `lvl_${++n}`;
  await s.app.runtime.core.accounts.createUser(username, PASSWORD, false);
  const keys = {} as Record<Level, string>;
  for (const level of ['basic', 'apikey', 'full'] as const) {
    const r = await fbPost('/user/create_apikey', {
      username,
      password: PASSWORD,
      access_level: level,
      comment: level,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    keys[level] = (r.json.data as { new_key: string }).new_key;
  }
  return { username, ...keys };
}

function pd(key: string, method: string, path: string, body?: BodyInit) {
  return fetch(s.url + path, { method, body, headers: { Authorization: basic(key) } });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

async function upload(key: string, name = 'a.txt'): Promise<string> {
  const r = await pd(key, 'PUT', `/api/file/${name}`, 'hello');
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

async function expectForbidden(r: Response, required: Level, have: Level, what: string) {
  expect(r.status, what).toBe(403);
  expect(await r.json(), what).toEqual({
    success: false,
    value: 'forbidden',
    message: `The access level of this API key is too low for this action (required: ${required}; have: ${have})`,
  });
}

async function loginWorks(username: string, password: string): Promise<boolean> {
  const r = await fetch(`${s.url}/api/user/login`, {
    method: 'POST',
    body: form({ username, password }),
  });
  return r.status === 201;
}

describe('pixeldrain endpoints, by key level', () => {
  it('account and key management need a full key: basic and apikey keys get 403 forbidden', async () => {
    const a = await account();
    const { keyId } = await s.app.runtime.core.accounts.authenticate(a.full);
    for (const level of ['basic', 'apikey'] as const) {
      const key = a[level];
      const cases: [string, string, BodyInit | undefined][] = [
        ['PUT', '/api/user', form({ password_new: 'hijacked password', old_password: PASSWORD })],
        ['PUT', '/api/user', form({ email: 'evil@example.org', old_password: PASSWORD })],
        ['PUT', '/api/user', form({ username: `${a.username}_x`, old_password: PASSWORD })],
        [
          'PUT',
          '/api/user/password',
          form({ old_password: PASSWORD, new_password: 'hijacked password' }),
        ],
        ['DELETE', '/api/user', undefined],
        ['POST', '/api/user/session', form({ app_name: 'mint' })],
        ['GET', '/api/user/session', undefined],
        ['DELETE', `/api/user/session?id=${keyId}`, undefined],
      ];
      for (const [method, path, body] of cases) {
        await expectForbidden(
          await pd(key, method, path, body),
          'full',
          level,
          `${level} ${method} ${path}`,
        );
      }
    }
    // Nothing changed: the password, the account, the full key, and no key was minted.
    expect(await loginWorks(a.username, PASSWORD)).toBe(true);
    const keys = await pd(a.full, 'GET', '/api/user/session');
    expect(keys.status).toBe(200);
    const list = (await keys.json()) as { app_name: string }[];
    expect(list.map((k) => k.app_name).sort()).toEqual([
      'apikey',
      'basic',
      'full',
      'website login',
    ]);
    const me = (await (await pd(a.full, 'GET', '/api/user')).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ username: a.username, email: '' });
  });

  it('a full key manages keys and the account', async () => {
    const a = await account();
    const made = await pd(a.full, 'POST', '/api/user/session', form({ app_name: 'more' }));
    expect(made.status).toBe(201);
    const { id } = (await made.json()) as { id: string };
    expect((await pd(a.full, 'DELETE', `/api/user/session?id=${id}`)).status).toBe(200);
    const change = await pd(
      a.full,
      'PUT',
      '/api/user',
      form({ email: 'me@example.org', old_password: PASSWORD }),
    );
    expect(change.status, await change.clone().text()).toBe(200);
    expect((await pd(a.full, 'DELETE', '/api/user')).status).toBe(200);
    expect(await loginWorks(a.username, PASSWORD)).toBe(false);
  });

  it('any key may revoke itself (log out)', async () => {
    const a = await account();
    expect((await pd(a.basic, 'DELETE', '/api/user/session')).status).toBe(200);
    expect((await pd(a.basic, 'GET', '/api/user')).status).toBe(401);
  });

  it('a basic key only uploads (and makes lists): reading or changing what it owns is refused', async () => {
    const a = await account();
    const id = await upload(a.basic);
    const list = await pd(a.basic, 'POST', '/api/list', JSON.stringify({ files: [{ id }] }));
    expect(list.status).toBe(201);
    const listId = ((await list.json()) as { id: string }).id;
    const cases: [string, string, BodyInit | undefined][] = [
      ['GET', '/api/user', undefined],
      ['GET', '/api/user/files', undefined],
      ['GET', '/api/user/lists', undefined],
      ['POST', `/api/file/${id}`, form({ action: 'rename', name: 'b.txt' })],
      ['DELETE', `/api/file/${id}`, undefined],
      ['PUT', `/api/list/${listId}`, JSON.stringify({ title: 'x', files: [{ id }] })],
      ['DELETE', `/api/list/${listId}`, undefined],
    ];
    for (const [method, path, body] of cases) {
      await expectForbidden(
        await pd(a.basic, method, path, body),
        'apikey',
        'basic',
        `${method} ${path}`,
      );
    }
    // The file and the list are still there, unchanged.
    const info = await fetch(`${s.url}/api/file/${id}/info`);
    expect(((await info.json()) as { name: string }).name).toBe('a.txt');
    expect((await fetch(`${s.url}/api/list/${listId}`)).status).toBe(200);
  });

  it('an apikey key lists, renames and deletes its own files and lists', async () => {
    const a = await account();
    const id = await upload(a.basic);
    expect((await pd(a.apikey, 'GET', '/api/user')).status).toBe(200);
    const files = await pd(a.apikey, 'GET', '/api/user/files');
    expect(files.status).toBe(200);
    expect(((await files.json()) as { files: { id: string }[] }).files.map((f) => f.id)).toEqual([
      id,
    ]);
    expect((await pd(a.apikey, 'GET', '/api/user/lists')).status).toBe(200);
    const rename = await pd(
      a.apikey,
      'POST',
      `/api/file/${id}`,
      form({ action: 'rename', name: 'b.txt' }),
    );
    expect(rename.status).toBe(200);
    expect((await pd(a.apikey, 'DELETE', `/api/file/${id}`)).status).toBe(200);
  });
});

describe('changing the password, e-mail or username needs the current password', () => {
  it('PUT /api/user/password: old_password and new_password', async () => {
    const a = await account();
    const wrong = await pd(
      a.full,
      'PUT',
      '/api/user/password',
      form({ old_password: 'not my password', new_password: 'a brand new password' }),
    );
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ success: false, value: 'password_incorrect' });
    const missing = await pd(
      a.full,
      'PUT',
      '/api/user/password',
      form({ new_password: 'a brand new password' }),
    );
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      value: 'multiple_errors',
      errors: [{ value: 'missing_field', extra: { field: 'old_password' } }],
    });
    expect(await loginWorks(a.username, PASSWORD)).toBe(true);

    const ok = await pd(
      a.full,
      'PUT',
      '/api/user/password',
      form({ old_password: PASSWORD, new_password: 'a brand new password' }),
    );
    expect(ok.status).toBe(200);
    expect(await loginWorks(a.username, PASSWORD)).toBe(false);
    expect(await loginWorks(a.username, 'a brand new password')).toBe(true);
  });

  it('PUT /api/user: password_new, email or username without old_password (or a wrong one) changes nothing', async () => {
    const a = await account();
    const changes: Record<string, string>[] = [
      { password_new: 'a brand new password' },
      { email: 'new@example.org' },
      { username: `${a.username}_renamed` },
    ];
    for (const change of changes) {
      const missing = await pd(a.full, 'PUT', '/api/user', form(change));
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({
        value: 'multiple_errors',
        errors: [{ value: 'missing_field', extra: { field: 'old_password' } }],
      });
      const wrong = await pd(
        a.full,
        'PUT',
        '/api/user',
        form({ ...change, old_password: 'not my password' }),
      );
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ value: 'password_incorrect' });
    }
    expect(await loginWorks(a.username, PASSWORD)).toBe(true);
    const me = (await (await pd(a.full, 'GET', '/api/user')).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ username: a.username, email: '' });
  });
});

describe('FileBin endpoints, by key level', () => {
  it('basic: upload and multipaste only; apikey: history and delete too; full: user/*', async () => {
    const a = await account();
    const denied = (required: Level, have: Level) => ({
      status: 'error',
      error_id: 'api/insufficient-permissions',
      message: `Access denied: Access level too low. Required: ${required}; Have: ${have}`,
    });
    for (const level of ['basic', 'apikey'] as const) {
      for (const path of ['/user/apikeys', '/user/delete_apikey']) {
        const r = await fbPost(path, { apikey: a[level], delete_key: a.full });
        expect(r.json, `${level} ${path}`).toEqual(denied('full', level));
      }
      const mint = await fbPost('/user/create_apikey', {
        apikey: a[level],
        access_level: 'full',
      });
      expect(mint.json).toEqual(denied('full', level));
    }
    for (const path of ['/file/history', '/file/delete']) {
      const r = await fbPost(path, { apikey: a.basic, 'ids[0]': 'abc' });
      expect(r.json, path).toEqual(denied('apikey', 'basic'));
    }
    expect((await fbPost('/file/history', { apikey: a.apikey })).json.status).toBe('success');
    expect((await fbPost('/user/apikeys', { apikey: a.full })).json.status).toBe('success');
  });

  it('the core refuses too: a basic FileBin key made by create_apikey cannot mint keys on any API', async () => {
    const a = await account();
    const principal = await s.app.runtime.core.accounts.authenticate(a.basic);
    await expect(
      s.app.runtime.core.accounts.createKeyFor(principal, 'x', { ip: '127.0.0.1', userAgent: '' }),
    ).rejects.toMatchObject({ code: 'insufficient_access' });
    await expect(s.app.runtime.core.accounts.deleteUser(principal)).rejects.toMatchObject({
      code: 'insufficient_access',
    });
  });
});
