import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/core/moderation/audit.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** Uploads on every dialect: blocked content is refused (nothing stored), the address is kept. */
let s: TestServer;
let key: string;
const BLOCKED = 'these bytes are blocked on this server';
const sha256 = (b: string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  s = await startServer({ trustProxy: true, cheveretoAnyFile: true });
  key = await createUserWithKey(s, 'uploader');
  await s.app.runtime.core.blocks.blockHash(sha256(BLOCKED), 'known', CLI_ACTOR);
});
afterAll(() => s.close());

const fileCount = async () => (await s.app.runtime.core.adminSearch.stats()).files;
const ipOf = async (id: string) => (await s.app.runtime.core.files.get(id)).uploaderIp;

const pdPut = (content: string, ip: string) =>
  fetch(`${s.url}/api/file/a.txt`, {
    method: 'PUT',
    body: content,
    headers: { authorization: basic(key), 'x-forwarded-for': ip },
  });
const pdPost = (content: string, ip: string) => {
  const form = new FormData();
  form.append('file', new Blob([content]), 'b.txt');
  return fetch(`${s.url}/api/file`, {
    method: 'POST',
    body: form,
    headers: { authorization: basic(key), 'x-forwarded-for': ip },
  });
};
const fbUpload = (contents: string[], ip: string) => {
  const form = new FormData();
  contents.forEach((c, i) => form.append(`file[${i + 1}]`, new Blob([c]), `f${i}.txt`));
  form.append('apikey', key);
  return fetch(`${s.url}/api/v2.2.0/file/upload`, {
    method: 'POST',
    body: form,
    headers: { 'x-forwarded-for': ip },
  });
};
const chvUpload = (content: string, ip: string) =>
  fetch(`${s.url}/api/1/upload`, {
    method: 'POST',
    body: new URLSearchParams({ key, source: Buffer.from(content).toString('base64') }),
    headers: { 'x-forwarded-for': ip },
  });

describe('blocked content', () => {
  it('pixeldrain PUT and POST: 451 unavailable_for_legal_reasons, nothing stored', async () => {
    const before = await fileCount();
    for (const r of [await pdPut(BLOCKED, '192.0.2.1'), await pdPost(BLOCKED, '192.0.2.1')]) {
      expect(r.status).toBe(451);
      expect(await r.json()).toMatchObject({
        success: false,
        value: 'unavailable_for_legal_reasons',
      });
    }
    expect(await fileCount()).toBe(before);
  });

  it('FileBin: file/upload-verify for the part, no file of the request published', async () => {
    const before = await fileCount();
    const r = await fbUpload(['an innocent file', BLOCKED], '192.0.2.2');
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      status: 'error',
      error_id: 'file/upload-verify',
      message: 'Failed to verify uploaded file(s)',
      data: {
        file: {
          filename: 'f1.txt',
          formfield: 'file',
          message: 'This content is blocked on this server',
        },
      },
    });
    expect(await fileCount()).toBe(before);
  });

  it('Chevereto: Request denied, nothing stored', async () => {
    const before = await fileCount();
    const r = await chvUpload(BLOCKED, '192.0.2.3');
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({
      status_code: 400,
      error: { message: 'Request denied', code: 403 },
    });
    expect(await fileCount()).toBe(before);
  });
});

describe('the uploader address', () => {
  it('is kept with the file on every dialect (the trusted proxy’s client address)', async () => {
    let r = await pdPut('put content', '198.51.100.21');
    expect(await ipOf(((await r.json()) as { id: string }).id)).toBe('198.51.100.21');
    r = await pdPost('post content', '198.51.100.22');
    expect(await ipOf(((await r.json()) as { id: string }).id)).toBe('198.51.100.22');
    r = await fbUpload(['filebin content'], '198.51.100.23');
    const fb = (await r.json()) as { data: { ids: string[] } };
    expect(await ipOf(fb.data.ids[0]!)).toBe('198.51.100.23');
    r = await chvUpload('chevereto content', '198.51.100.24');
    const chv = (await r.json()) as { image: { id_encoded: string } };
    expect(await ipOf(chv.image.id_encoded)).toBe('198.51.100.24');
  });
});

describe('a disabled account', () => {
  it('cannot upload on any dialect (pixeldrain: 403 account_banned) nor log in', async () => {
    const { accounts, adminUsers } = s.app.runtime.core;
    await accounts.createUser('banned', 'a password 123', false);
    const k = (await accounts.createKey('banned', 'test', '127.0.0.1')).key;
    const id = (await accounts.userByName('banned')).id;
    await adminUsers.setFlags(id, { disabled: true }, CLI_ACTOR, 'spam');
    const put = await fetch(`${s.url}/api/file/a.txt`, {
      method: 'PUT',
      body: 'x',
      headers: { authorization: basic(k) },
    });
    expect(put.status).toBe(403);
    expect(await put.json()).toMatchObject({ value: 'account_banned' });
    const form = new FormData();
    form.append('file[1]', new Blob(['x']), 'x.txt');
    form.append('apikey', k);
    const fb = await fetch(`${s.url}/api/v2.2.0/file/upload`, { method: 'POST', body: form });
    expect(await fb.json()).toMatchObject({ status: 'error', error_id: 'user/api-login-failed' });
    const chv = await fetch(`${s.url}/api/1/upload`, {
      method: 'POST',
      body: new URLSearchParams({ key: k, source: Buffer.from('x').toString('base64') }),
    });
    expect(chv.status).toBe(400);
    expect(await chv.json()).toMatchObject({ error: { message: 'Request denied', code: 401 } });
    const login = await fetch(`${s.url}/api/user/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'banned', password: 'a password 123' }),
    });
    expect(login.status).toBe(403);
    expect(await login.json()).toMatchObject({ value: 'account_banned' });
  });
});
