import fs from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { basic, tempDir } from './helpers.js';

/** Issue 19, item 6: one info line per request, events with ids, no secrets, JSON or pretty. */

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  event?: string;
  [k: string]: unknown;
}

async function started(logFormat: 'json' | 'pretty') {
  const dir = await tempDir();
  const stream = new PassThrough();
  const log = { text: '' };
  stream.on('data', (d: Buffer) => (log.text += d.toString('utf8')));
  const config = loadConfig(
    { host: '127.0.0.1', port: 0, dataDir: dir, logLevel: 'info', logFormat },
    {},
    null,
    false,
  );
  const app = await buildApp(config, { logStream: stream });
  return { app, dir, log };
}

describe('request log lines (JSON)', () => {
  let app: App;
  let url: string;
  let dir: string;
  let log: { text: string };
  let userKey: string;
  let userId: string;
  let adminKey: string;
  const lines = (): Line[] =>
    log.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  /** Lines logged from now on, once the server wrote them. */
  const since = () => {
    const from = lines().length;
    return () => lines().slice(from);
  };

  beforeAll(async () => {
    ({ app, dir, log } = await started('json'));
    // A route that fails: Fastify's default error handler (the web UI's scope).
    app.server.get('/test-boom', async () => {
      throw Object.assign(new Error('disk on fire'), { code: 'EBOOM' });
    });
    url = await app.listen();
    const { accounts } = app.runtime.core;
    userId = (await accounts.createUser('logged', null, false)).id;
    userKey = (await accounts.createKey('logged', 'test', '127.0.0.1')).key;
    await accounts.createUser('boss', null, true);
    adminKey = (await accounts.createKey('boss', 'test', '127.0.0.1')).key;
  });
  afterAll(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('one info line per request: method, route pattern, status, bytes, duration, client, dialect, request id; no secret anywhere', async () => {
    const put = await fetch(`${url}/api/file/secret-name.txt`, { method: 'PUT', body: 'psst' });
    const { id } = (await put.json()) as { id: string };
    const after = since();
    const r = await fetch(`${url}/api/file/${id}?key=QuerySecret123&download`, {
      headers: {
        Authorization: basic(userKey),
        Cookie: 'pd_auth_key=CookieSecret456; other=CookieSecret789',
      },
    });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    await expect.poll(() => after().filter((l) => l.event === 'request').length).toBe(1);
    const all = after();
    expect(all).toHaveLength(1);
    const [line] = all;
    expect(line).toMatchObject({
      level: 30,
      msg: 'request',
      method: 'GET',
      route: '/api/file/:id',
      status: 200,
      client: '127.0.0.1',
      dialect: 'pixeldrain',
    });
    expect(line!.reqId).toMatch(/^req-/);
    expect(line!.bytes).toBeGreaterThan(4); // headers and the 4-byte body
    expect(typeof line!.durationMs).toBe('number');
    for (const secret of [
      userKey,
      'QuerySecret123',
      'CookieSecret456',
      'CookieSecret789',
      'secret-name',
      'download',
      id,
    ]) {
      expect(log.text).not.toContain(secret === id ? `/api/file/${id}` : secret);
    }
    expect(log.text).not.toMatch(/authorization|cookie/i);
  });

  it('says which API each request spoke', async () => {
    const after = since();
    await fetch(`${url}/api/v2.2.0/file/history`, { method: 'POST' }); // FileBin
    await fetch(`${url}/api/1/upload`, { method: 'POST' }); // Chevereto
    await fetch(`${url}/api/admin/files`); // the admin API (401)
    await fetch(`${url}/api/tus`, { method: 'OPTIONS' }); // tus
    await fetch(`${url}/api/user`); // pixeldrain (401)
    await fetch(`${url}/no/such/page?key=NotLogged`); // nothing matched: the web UI's 404
    await expect.poll(() => after().filter((l) => l.event === 'request').length).toBe(6);
    const got = after()
      .filter((l) => l.event === 'request')
      .map((l) => [l.method, l.route, l.dialect]);
    expect(got).toEqual([
      ['POST', '/api/:version(^v[^/]*$)/*', 'filebin'],
      ['POST', '/api/:version(^[0-9]+)/:action', 'chevereto'],
      ['GET', '/api/admin/files', 'admin'],
      ['OPTIONS', expect.stringMatching(/^\/api\/tus/) as unknown, 'tus'],
      ['GET', '/api/user', 'pixeldrain'],
      ['GET', 'unmatched', 'web'],
    ]);
    expect(log.text).not.toContain('NotLogged');
    expect(log.text).not.toContain('/no/such/page');
  });

  it('an upload and a delete are events with the file id, on the request id of their request', async () => {
    const after = since();
    const put = await fetch(`${url}/api/file/a.txt`, {
      method: 'PUT',
      body: 'hello',
      headers: { Authorization: basic(userKey) },
    });
    const { id } = (await put.json()) as { id: string };
    const anon = await fetch(`${url}/api/file/b.txt`, { method: 'PUT', body: 'anon!!' });
    const { id: anonId, deleteKey } = (await anon.json()) as { id: string; deleteKey: string };
    const del = await fetch(`${url}/api/file/${anonId}?key=${deleteKey}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await expect.poll(() => after().filter((l) => l.event === 'request').length).toBe(3);
    const events = after().filter((l) => l.event === 'upload' || l.event === 'delete');
    expect(events).toMatchObject([
      { event: 'upload', file: id, size: 5, dialect: 'pixeldrain', owner: userId },
      { event: 'upload', file: anonId, size: 6, dialect: 'pixeldrain', owner: 'anonymous' },
      { event: 'delete', file: anonId, dialect: 'pixeldrain', by: 'delete_key' },
    ]);
    const requests = after().filter((l) => l.event === 'request');
    expect(events.map((e) => e.reqId)).toEqual(requests.map((r) => r.reqId));
    expect(log.text).not.toContain(deleteKey);
  });

  it('an admin action is an admin event with the audit id', async () => {
    const put = await fetch(`${url}/api/file/c.txt`, { method: 'PUT', body: 'spam' });
    const { id } = (await put.json()) as { id: string };
    const after = since();
    const r = await fetch(`${url}/api/admin/files/${id}/block`, {
      method: 'POST',
      headers: { Authorization: basic(adminKey) },
      body: new URLSearchParams({ type: 'malware', reason: 'PrivateReason' }),
    });
    expect(r.status).toBe(200);
    await expect.poll(() => after().filter((l) => l.event === 'request').length).toBe(1);
    const admin = after().filter((l) => l.event === 'admin');
    expect(admin).toHaveLength(1);
    expect(admin[0]).toMatchObject({ action: 'file.block', actor: 'boss', target: id });
    const { entries } = await app.runtime.core.audit.list({ targetId: id });
    expect(admin[0]!.audit).toBe(entries[0]!.id);
    expect(log.text).not.toContain('PrivateReason');
  });

  it('a 500 is an error event with its code and the request id; a 4xx only its request line', async () => {
    const after = since();
    const r = await fetch(`${url}/test-boom`);
    expect(r.status).toBe(500);
    const missing = await fetch(`${url}/api/file/nothere1/info`);
    expect(missing.status).toBe(404);
    await expect.poll(() => after().filter((l) => l.event === 'request').length).toBe(2);
    const [boom, notFound] = after().filter((l) => l.event === 'request');
    expect(boom).toMatchObject({ status: 500, route: '/test-boom', dialect: 'web' });
    expect(notFound).toMatchObject({ status: 404, route: '/api/file/:id/info' });
    const errors = after().filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ event: 'error', code: 'EBOOM', reqId: boom!.reqId });
    expect(after().filter((l) => l.reqId === notFound!.reqId)).toHaveLength(1);
  });
});

describe('request log lines (pretty)', () => {
  it('STOWAGE_LOG_FORMAT=pretty writes readable lines, not JSON', async () => {
    const { app, dir, log } = await started('pretty');
    try {
      const url = await app.listen();
      const put = await fetch(`${url}/api/file/x.txt?key=NoSecretHere`, {
        method: 'PUT',
        body: 'x',
      });
      const { id } = (await put.json()) as { id: string };
      await expect.poll(() => log.text).toMatch(/PUT \/api\/file\/:name 201 /);
      const lines = log.text.split('\n').filter(Boolean);
      for (const l of lines) expect(() => JSON.parse(l) as unknown).toThrow();
      expect(log.text).toMatch(new RegExp(`INFO  upload file=${id} size=1 dialect=pixeldrain`));
      expect(log.text).not.toContain('NoSecretHere');
    } finally {
      await app.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
