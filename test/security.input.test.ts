import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/**
 * Hostile request shapes (issue 13 item 3): a malformed `pd_auth_key` cookie and Content-Types
 * Fastify cannot parse are client errors in each dialect's shape, never a 500.
 */

let s: TestServer;
let n = 0;

/** A fresh user and key: some requests below delete the account they are made with. */
const freshKey = () => createUserWithKey(s, `input_${++n}`);

beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.close());

const BAD_COOKIES = ['pd_auth_key=%', 'pd_auth_key=%zz', 'pd_auth_key=%E0%A4%A', 'pd_auth_key=a%'];

describe('a malformed pd_auth_key cookie', () => {
  it('is bad credentials on endpoints that need a key: 401 authentication_failed', async () => {
    for (const cookie of BAD_COOKIES) {
      for (const [method, path] of [
        ['GET', '/api/user'],
        ['GET', '/api/user/files'],
        ['GET', '/api/user/session'],
        ['DELETE', '/api/user'],
        ['PUT', '/api/file/a.txt'],
      ] as const) {
        const r = await fetch(`${s.url}${path}`, {
          method,
          headers: { Cookie: cookie },
          body: method === 'PUT' ? 'x' : undefined,
        });
        expect(r.status, `${method} ${path} ${cookie}`).toBe(401);
        expect(await r.json()).toMatchObject({ success: false, value: 'authentication_failed' });
      }
    }
  });

  it('counts as no cookie on reads (like a stale one): file info, the ShareX config', async () => {
    const key = await freshKey();
    const up = await fetch(`${s.url}/api/file/a.txt`, {
      method: 'PUT',
      body: 'hello',
      headers: { Authorization: basic(key) },
    });
    const { id } = (await up.json()) as { id: string };
    for (const cookie of BAD_COOKIES) {
      const info = await fetch(`${s.url}/api/file/${id}/info`, { headers: { Cookie: cookie } });
      expect(info.status, cookie).toBe(200);
      expect(await info.json()).toMatchObject({ id, can_edit: false });
      const sxcu = await fetch(`${s.url}/misc/sharex/x.sxcu`, { headers: { Cookie: cookie } });
      expect(sxcu.status, cookie).toBe(200);
      expect(((await sxcu.json()) as Record<string, unknown>).Headers).toBeUndefined();
    }
  });

  it('FileBin and Chevereto never read it: their own answers, no 500', async () => {
    const fb = await fetch(`${s.url}/api/v2.2.0/file/history`, {
      method: 'POST',
      headers: { Cookie: 'pd_auth_key=%' },
    });
    expect(fb.status).toBe(400);
    expect(await fb.json()).toMatchObject({ status: 'error', error_id: 'api/not-authenticated' });
    const chv = await fetch(`${s.url}/api/1/upload`, {
      method: 'POST',
      headers: { Cookie: 'pd_auth_key=%' },
    });
    expect(chv.status).toBe(400);
    expect(await chv.json()).toMatchObject({ error: { code: 100 } });
  });
});

/** Content-Types Fastify refuses before any handler runs (not type/subtype, empty...). */
const BAD_TYPES = [';', 'a', '/', 'text/', ' '];

describe('a Content-Type that cannot be parsed', () => {
  it('pixeldrain endpoints with a body: 400 invalid_content_type, nothing changed', async () => {
    const cases = [
      ['PUT', '/api/user'],
      ['DELETE', '/api/user'],
      ['POST', '/api/user/session'],
      ['DELETE', '/api/user/session'],
      ['PUT', '/api/user/password'],
      ['POST', '/api/user/login'],
      ['POST', '/api/user/register'],
      ['POST', '/api/file'],
      ['PUT', '/api/file/a.txt'],
      ['POST', '/api/file/abcdefgh'],
      ['POST', '/api/list'],
    ] as const;
    for (const type of BAD_TYPES) {
      for (const [method, path] of cases) {
        const key = await freshKey();
        const r = await fetch(`${s.url}${path}`, {
          method,
          headers: { Authorization: basic(key), 'Content-Type': type },
          body: 'username=zzz',
        });
        expect(r.status, `${method} ${path} ${JSON.stringify(type)}`).toBe(400);
        expect(await r.json()).toEqual({
          success: false,
          value: 'invalid_content_type',
          message: expect.any(String),
        });
        // The key (and its account) are still there: DELETE /api/user did not run.
        const me = await fetch(`${s.url}/api/user`, { headers: { Authorization: basic(key) } });
        expect(me.status).toBe(200);
      }
    }
  });

  it('unknown /api paths with such a body: 404 invalid_endpoint', async () => {
    for (const type of BAD_TYPES) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        for (const path of ['/api/nonexistent', '/api/file/abcdefgh/nope', '/api/file/abcdefgh']) {
          // PATCH /api/file/{id} has no route: unknown too.
          if (path === '/api/file/abcdefgh' && method !== 'PATCH') continue;
          const r = await fetch(`${s.url}${path}`, {
            method,
            headers: { 'Content-Type': type },
            body: 'x',
          });
          expect(r.status, `${method} ${path} ${JSON.stringify(type)}`).toBe(404);
          expect(await r.json()).toEqual({
            success: false,
            value: 'invalid_endpoint',
            message: 'The API endpoint you requested does not exist',
          });
        }
      }
    }
  });

  it('FileBin: its error shape (JSON for the API, HTML for pages)', async () => {
    for (const type of BAD_TYPES) {
      const r = await fetch(`${s.url}/api/v2.2.0/file/history`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body: 'apikey=x',
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({
        status: 'error',
        error_id: 'input/invalid-form-field',
        message: 'Invalid input',
      });
      const page = await fetch(`${s.url}/abcdef`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body: 'x',
      });
      expect(page.status).toBeLessThan(500);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('Chevereto: its error envelope', async () => {
    for (const type of BAD_TYPES) {
      const r = await fetch(`${s.url}/api/1/upload`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body: 'key=x',
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ status_code: 400, error: { code: 400 } });
    }
  });
});

describe('a CONNECT request (a proxy method)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('is answered 405 and closed, not dropped unanswered', async () => {
    const url = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write('CONNECT /api/file/abc HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let got = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (got += d));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});
