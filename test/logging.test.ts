import fs from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { redactUrl } from '../src/http/common/logging.js';
import { basic, tempDir } from './helpers.js';

/** Log lines at debug level carry no credentials nor delete secrets (issue 13, item 13). */

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

describe('logging at debug level', () => {
  let app: App;
  let url: string;
  let dir: string;
  let out = '';
  let userKey: string;
  const lines = (): Line[] =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);

  beforeAll(async () => {
    dir = await tempDir();
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const config = loadConfig({ host: '127.0.0.1', port: 0, dataDir: dir, logLevel: 'debug' }, {});
    app = await buildApp(config, { logStream: stream });
    url = await app.listen();
    const { accounts } = app.runtime.core;
    await accounts.createUser('logger', null, false);
    userKey = (await accounts.createKey('logger', 'test', '127.0.0.1')).key;
  });
  afterAll(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('masks API keys, cookies and delete secrets in every line', async () => {
    const put = await fetch(`${url}/api/file/secret.txt`, { method: 'PUT', body: 'psst' });
    const { id, deleteKey } = (await put.json()) as { id: string; deleteKey: string };
    expect(deleteKey).toBeTruthy();
    const secrets = [deleteKey, userKey, 'ChvDeleteSecret0123456789'];

    await fetch(`${url}/api/file/${id}/info`, {
      headers: { Authorization: basic(userKey), Cookie: `pd_auth_key=${userKey}` },
    });
    await fetch(`${url}/api/user/files`, { headers: { Cookie: `pd_auth_key=${userKey}` } });
    await fetch(`${url}/api/1/upload?key=${userKey}&format=json`, { method: 'POST' });
    await fetch(`${url}/api/v2.2.0/file/history?apikey=${userKey}`, { method: 'POST' });
    await fetch(`${url}/image/${id}/delete/ChvDeleteSecret0123456789`);
    await fetch(`${url}/image/${id}/delete/ChvDeleteSecret0123456789%zz?key=${userKey}`);
    const del = await fetch(`${url}/api/file/${id}?key=${deleteKey}`, { method: 'DELETE' });
    expect(del.status).toBe(200);

    // Requests were logged, with their URLs.
    const urls = lines()
      .map((l) => (l.req as { url?: string } | undefined)?.url)
      .filter(Boolean);
    expect(urls).toContain(`/api/file/${id}?key=[redacted]`);
    expect(urls).toContain('/api/1/upload?key=[redacted]&format=json');
    expect(urls).toContain(`/image/${id}/delete/[redacted]`);
    for (const s of secrets) expect(out).not.toContain(s);
  });

  it('a client that goes away mid-download is a client error, not an error', async () => {
    // 3 MiB of random bytes each (not compressible, more than the socket buffers hold).
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
    const ids: string[] = [];
    for (const name of ['a.bin', 'b.bin']) {
      const r = await fetch(`${url}/api/file/${name}`, {
        method: 'PUT',
        body,
        headers: { Authorization: basic(userKey) },
      });
      ids.push(((await r.json()) as { id: string }).id);
    }
    const mp = await fetch(`${url}/api/v2.2.0/file/create_multipaste`, {
      method: 'POST',
      body: new URLSearchParams({ 'ids[1]': ids[0]!, 'ids[2]': ids[1]!, apikey: userKey }),
    });
    const { url_id: mid } = ((await mp.json()) as { data: { url_id: string } }).data;
    const before = lines().length;
    const ac = new AbortController();
    const r = await fetch(`${url}/${mid}/tar`, { signal: ac.signal });
    expect(r.status).toBe(200);
    await r.body!.getReader().read();
    ac.abort();
    const failed = () =>
      lines()
        .slice(before)
        .filter((l) => /tarball failed/.test(l.msg));
    await expect.poll(() => failed().length).toBe(1);
    expect(failed()[0]).toMatchObject({ level: 30, msg: 'client error: filebin: tarball failed' });
    expect(lines().filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe('redactUrl', () => {
  it.each([
    ['/api/file/abc?key=s3cret', '/api/file/abc?key=[redacted]'],
    ['/api/1/upload?format=json&KEY=s3cret&x=1', '/api/1/upload?format=json&KEY=[redacted]&x=1'],
    [
      '/api/v2/file/upload?apikey=a&api_key=b',
      '/api/v2/file/upload?apikey=[redacted]&api_key=[redacted]',
    ],
    ['/image/Ab12/delete/s3cret', '/image/Ab12/delete/[redacted]'],
    ['/image/Ab12/delete/s3cret?x=1', '/image/Ab12/delete/[redacted]?x=1'],
    ['/api/file/abc?download&k%65y=s3cret', '/api/file/abc?download&k%65y=[redacted]'],
    ['/api/file/abc?keys=1', '/api/file/abc?keys=1'],
    ['/u/abc', '/u/abc'],
  ])('%s -> %s', (raw, expected) => {
    expect(redactUrl(raw)).toBe(expected);
  });
});
