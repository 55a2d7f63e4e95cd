import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  basic,
  createUserWithKey,
  pendingUploads,
  stagingFiles,
  startServer,
  type TestServer,
} from './helpers.js';
import { ON_SCALE_OUT } from './scaleout.js';

/**
 * Multipart bodies on all three dialects: bodies cut off or malformed answer 400 in the dialect's
 * shape (or nothing, when the client is gone) and leave nothing staged, the process survives;
 * file names in UTF-8, RFC 5987 and Latin-1; a client that half-closes its socket still gets its
 * answer; Chevereto's spools never outlive a request.
 */

const B = 'xBOUNDARYx';
const MP = `multipart/form-data; boundary=${B}`;

/** A multipart body from parts; a part is [disposition params (raw bytes, latin1), content]. */
function multipart(parts: Array<[string, Buffer | string]>, close = true): Uint8Array<ArrayBuffer> {
  const out: Buffer[] = [];
  for (const [params, content] of parts) {
    out.push(Buffer.from(`--${B}\r\nContent-Disposition: form-data; ${params}\r\n`, 'latin1'));
    if (params.includes('filename'))
      out.push(Buffer.from('Content-Type: application/octet-stream\r\n'));
    out.push(Buffer.from('\r\n'), Buffer.from(content), Buffer.from('\r\n'));
  }
  if (close) out.push(Buffer.from(`--${B}--\r\n`));
  return new Uint8Array(Buffer.concat(out));
}

interface Raw {
  status: number | null;
  head: string;
  body: string;
  /** The server closed or reset the connection before anything came back. */
  nothing: boolean;
}

/**
 * One request on a raw socket. `halfClose`: end our side right after the request (FIN), as
 * some clients do, and keep reading. `cut`: send only this many bytes of the body, then vanish.
 */
function raw(
  url: string,
  head: string[],
  body: Uint8Array,
  opts: { halfClose?: boolean; cut?: number; halfCloseAt?: number } = {},
): Promise<Raw> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      sock.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const i = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({
        status: m ? Number(m[1]) : null,
        head: i < 0 ? text : text.slice(0, i),
        body: i < 0 ? '' : text.slice(i + 4),
        nothing: chunks.length === 0,
      });
    };
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', finish);
    sock.on('close', finish);
    sock.on('end', finish);
    sock.once('connect', () => {
      const lines = [...head, `Host: 127.0.0.1`, `Content-Length: ${body.length}`];
      if (opts.halfCloseAt !== undefined) {
        sock.write(lines.join('\r\n') + '\r\n\r\n');
        sock.end(body.subarray(0, opts.halfCloseAt));
        return;
      }
      if (opts.cut !== undefined) {
        sock.write(lines.join('\r\n') + '\r\n\r\n');
        sock.write(body.subarray(0, opts.cut), () => setImmediate(() => sock.destroy()));
        return;
      }
      // Keep-alive would leave the socket open after the answer: ask the server to close it.
      if (!opts.halfClose) lines.push('Connection: close');
      sock.write(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]));
      if (opts.halfClose) sock.end();
    });
  });
}

async function waitFor(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let s: TestServer;
let key: string;
let png: Buffer;
const uncaught = vi.fn();

async function nameOf(id: string): Promise<string | undefined> {
  const row = await s.app.runtime.db
    .selectFrom('files')
    .select('name')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.name;
}

/** Nothing of a failed upload left: no staging file, no pending multipart upload, no spool. */
async function nothingStaged(): Promise<void> {
  // The client may be gone before the server has cleaned up: wait for it (bounded), then check.
  await waitFor(
    async () =>
      (await pendingUploads(s)) === 0 &&
      (await stagingFiles(s.dataDir)).length === 0 &&
      (await spools()).length === 0,
    'nothing staged',
  ).catch(() => {});
  expect(await pendingUploads(s)).toBe(0);
  expect(await stagingFiles(s.dataDir)).toEqual([]);
  expect(await spools()).toEqual([]);
}

async function spools(): Promise<string[]> {
  const dir = path.join(s.dataDir, 'tmp');
  return (await fs.readdir(dir).catch(() => [])).filter((n) => n.startsWith('stowage-chv-'));
}

/** The process still works: a normal upload and its download. */
async function stillServes(): Promise<void> {
  const body = Buffer.from('still here ' + Math.random());
  const put = await fetch(`${s.url}/api/file/after.txt`, {
    method: 'PUT',
    body,
    headers: { Authorization: basic(key) },
  });
  expect(put.status).toBe(201);
  const { id } = (await put.json()) as { id: string };
  const got = Buffer.from(await (await fetch(`${s.url}/api/file/${id}`)).arrayBuffer());
  expect(got.equals(body)).toBe(true);
  expect(uncaught).not.toHaveBeenCalled();
}

beforeAll(async () => {
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', uncaught);
  // Anonymous uploads off: FileBin and Chevereto still read the body before the key.
  s = await startServer({ allowAnonymousUploads: false, maxFileSize: '16MiB' });
  key = await createUserWithKey(s, 'alice');
  png = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
});

afterAll(async () => {
  await s?.close();
  process.off('uncaughtException', uncaught);
  process.off('unhandledRejection', uncaught);
});

// The body of issue 13 item 1: a file part that never ends (no closing boundary).
const TRUNCATED = Buffer.from(
  `--b\r\nContent-Disposition: form-data; name="file[1]"; filename="a"\r\n\r\nxx`,
);
const TRUNCATED_HEAD = 'Content-Type: multipart/form-data; boundary=b';

describe('a multipart body whose file part never ends', () => {
  it('FileBin file/upload: 400 file/upload-verify (partially uploaded), nothing staged', async () => {
    const r = await raw(
      s.url,
      ['POST /api/v2.2.0/file/upload HTTP/1.1', TRUNCATED_HEAD],
      TRUNCATED,
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({
      status: 'error',
      error_id: 'file/upload-verify',
      message: 'Failed to verify uploaded file(s)',
      data: {
        file: {
          filename: 'a',
          formfield: 'file',
          message: 'The uploaded file was only partially uploaded',
        },
      },
    });
    await nothingStaged();
    await stillServes();
  });

  it('Chevereto /api/1/upload: 400 in Chevereto’s envelope, nothing staged or spooled', async () => {
    for (const name of ['source', 'image', 'other']) {
      const body = Buffer.from(
        `--b\r\nContent-Disposition: form-data; name="${name}"; filename="a.png"\r\n\r\nxx`,
      );
      const r = await raw(s.url, ['POST /api/1/upload HTTP/1.1', TRUNCATED_HEAD], body);
      expect(r.status).toBe(400);
      const json = JSON.parse(r.body) as { status_code: number; error: { code: number } };
      expect(json.status_code).toBe(400);
      expect(typeof json.error.code).toBe('number');
      await nothingStaged();
    }
    // With the key first, the part streams straight into the store: cut off all the same.
    const body = Buffer.from(
      `--b\r\nContent-Disposition: form-data; name="key"\r\n\r\n${key}\r\n` +
        `--b\r\nContent-Disposition: form-data; name="source"; filename="a.png"\r\n\r\n`,
    );
    const r = await raw(
      s.url,
      ['POST /api/1/upload HTTP/1.1', TRUNCATED_HEAD],
      Buffer.concat([body, png]),
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({
      status_code: 400,
      error: { message: 'The uploaded file was only partially uploaded' },
    });
    await nothingStaged();
    await stillServes();
  });

  it('pixeldrain POST /api/file, a part not named file: 400 error_reading_input', async () => {
    const r = await raw(
      s.url,
      ['POST /api/file HTTP/1.1', TRUNCATED_HEAD, `Authorization: ${basic(key)}`],
      TRUNCATED,
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ success: false, value: 'error_reading_input' });
    await nothingStaged();
    await stillServes();
  });

  it('pixeldrain POST /api/file, the file part cut off: 400 error_reading_input, not 500 writing', async () => {
    const body = Buffer.concat([
      Buffer.from(`--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n`),
      Buffer.alloc(200_000, 7),
    ]);
    const r = await raw(
      s.url,
      ['POST /api/file HTTP/1.1', TRUNCATED_HEAD, `Authorization: ${basic(key)}`],
      body,
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ success: false, value: 'error_reading_input' });
    await nothingStaged();
    await stillServes();
  });

  it('a body cut off after its file part: 400 on every dialect, no file stored', async () => {
    const rows = async () =>
      (await s.app.runtime.db.selectFrom('files').select('id').execute()).length;
    const before = await rows();
    const part = (name: string, file: string, content: Buffer | string) =>
      Buffer.concat([
        Buffer.from(
          `--b\r\nContent-Disposition: form-data; name="${name}"; filename="${file}"\r\n\r\n`,
        ),
        Buffer.from(content),
        // The part ends, the body does not: no closing boundary.
        Buffer.from('\r\n--b\r\nContent-Disposition: form-da'),
      ]);
    const keyField = Buffer.from(
      `--b\r\nContent-Disposition: form-data; name="key"\r\n\r\n${key}\r\n`,
    );
    const pd = await raw(
      s.url,
      ['POST /api/file HTTP/1.1', TRUNCATED_HEAD, `Authorization: ${basic(key)}`],
      part('file', 'a.txt', 'complete part'),
    );
    expect(pd.status).toBe(400);
    expect(JSON.parse(pd.body)).toMatchObject({ success: false, value: 'error_reading_input' });
    const fb = await raw(
      s.url,
      ['POST /api/v2.2.0/file/upload HTTP/1.1', TRUNCATED_HEAD],
      part('file[1]', 'a.txt', 'complete part'),
    );
    expect(fb.status).toBe(400);
    expect(JSON.parse(fb.body)).toMatchObject({ error_id: 'file/upload-verify' });
    const chv = await raw(
      s.url,
      ['POST /api/1/upload HTTP/1.1', TRUNCATED_HEAD],
      Buffer.concat([keyField, part('source', 'a.png', png)]),
    );
    expect(chv.status).toBe(400);
    expect(await rows()).toBe(before);
    await nothingStaged();
    await stillServes();
  });

  it('pixeldrain POST /api/file, grab_file then a cut-off part: 400, no copy made', async () => {
    const put = await fetch(`${s.url}/api/file/original.txt`, {
      method: 'PUT',
      body: 'original',
      headers: { Authorization: basic(key) },
    });
    const { id } = (await put.json()) as { id: string };
    const rows = async () =>
      (await s.app.runtime.db.selectFrom('files').select('id').execute()).length;
    const before = await rows();
    const body = Buffer.from(
      `--b\r\nContent-Disposition: form-data; name="grab_file"\r\n\r\n${id}\r\n` +
        `--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nxx`,
    );
    const r = await raw(
      s.url,
      ['POST /api/file HTTP/1.1', TRUNCATED_HEAD, `Authorization: ${basic(key)}`],
      body,
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ success: false, value: 'error_reading_input' });
    expect(await rows()).toBe(before);
    await stillServes();
  });

  it('text forms (pixeldrain login, FileBin history) with a cut-off part: 400 in their shape', async () => {
    const pd = await raw(s.url, ['POST /api/user/login HTTP/1.1', TRUNCATED_HEAD], TRUNCATED);
    expect(pd.status).toBe(400);
    expect(JSON.parse(pd.body)).toMatchObject({ success: false });
    const fb = await raw(
      s.url,
      ['POST /api/v2.2.0/file/history HTTP/1.1', TRUNCATED_HEAD],
      TRUNCATED,
    );
    expect(fb.status).toBe(400);
    expect(JSON.parse(fb.body)).toMatchObject({ status: 'error' });
    await stillServes();
  });
});

describe('an upload cut mid-way by the client (it is gone: no answer, no crash, nothing left)', () => {
  const big = () =>
    multipart([['name="file"; filename="big.bin"', Buffer.alloc(4 * 1024 * 1024, 1)]]);
  const cases: Array<[string, string[]]> = [
    ['pixeldrain POST /api/file', ['POST /api/file HTTP/1.1', `Authorization: ${'KEY'}`]],
    ['FileBin file/upload', ['POST /api/v2.2.0/file/upload HTTP/1.1']],
    ['Chevereto /api/1/upload', ['POST /api/1/upload HTTP/1.1']],
  ];
  for (const [label, head] of cases) {
    it(label, async () => {
      const h = head.map((l) => l.replace('KEY', basic(key)));
      const r = await raw(s.url, [...h, `Content-Type: ${MP}`], big(), { cut: 1024 * 1024 });
      expect(r.status === null || r.status === 400).toBe(true);
      await nothingStaged();
      await stillServes();
    });
  }
});

describe('file names in multipart uploads (UTF-8, RFC 5987 filename*, Latin-1)', () => {
  const NAMES: Array<[string, string, string]> = [
    // [label, disposition params (raw bytes as latin1), stored name]
    ['UTF-8 filename=', `filename="${Buffer.from('é日本.EXT').toString('latin1')}"`, 'é日本.EXT'],
    [
      'RFC 5987 filename*= (after a fallback filename=)',
      `filename="fallback.EXT"; filename*=UTF-8''%C3%A9%E6%97%A5%E6%9C%AC.EXT`,
      'é日本.EXT',
    ],
    ['Latin-1 filename=', `filename="\xe9t\xe9.EXT"`, 'été.EXT'],
    ['ISO-8859-1 filename*=', `filename*=ISO-8859-1''%E9t%E9.EXT`, 'été.EXT'],
  ];

  for (const [label, params, expected] of NAMES) {
    it(`pixeldrain POST /api/file: ${label}`, async () => {
      const r = await fetch(`${s.url}/api/file`, {
        method: 'POST',
        headers: { 'Content-Type': MP, Authorization: basic(key) },
        body: multipart([[`name="file"; ${params.replaceAll('EXT', 'txt')}`, 'hello']]),
      });
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      expect(await nameOf(id)).toBe(expected.replaceAll('EXT', 'txt'));
    });

    it(`FileBin file/upload: ${label}`, async () => {
      const r = await fetch(`${s.url}/api/v2.2.0/file/upload`, {
        method: 'POST',
        headers: { 'Content-Type': MP },
        body: multipart([
          [`name="file[1]"; ${params.replaceAll('EXT', 'txt')}`, 'hello'],
          ['name="apikey"', key],
        ]),
      });
      expect(r.status).toBe(200);
      const { data } = (await r.json()) as { data: { ids: string[] } };
      expect(await nameOf(data.ids[0]!)).toBe(expected.replaceAll('EXT', 'txt'));
    });

    it(`Chevereto /api/1/upload: ${label}`, async () => {
      const r = await fetch(`${s.url}/api/1/upload`, {
        method: 'POST',
        headers: { 'Content-Type': MP },
        body: multipart([
          ['name="key"', key],
          [`name="source"; ${params.replaceAll('EXT', 'png')}`, png],
        ]),
      });
      expect(r.status).toBe(200);
      const { image } = (await r.json()) as { image: { id_encoded: string } };
      expect(await nameOf(image.id_encoded)).toBe(expected.replaceAll('EXT', 'png'));
    });
  }
});

describe('a client that half-closes its socket after the request still gets its answer', () => {
  const json = (r: Raw) => JSON.parse(r.body) as Record<string, unknown>;
  // Big enough that the answer (after the blob store's fsync) comes after the FIN is read.
  const HALF_BODY = Buffer.alloc(1024 * 1024, 'half-closed');

  it('pixeldrain PUT and POST /api/file', async () => {
    const put = await raw(
      s.url,
      ['PUT /api/file/half.txt HTTP/1.1', `Authorization: ${basic(key)}`],
      HALF_BODY,
      { halfClose: true },
    );
    expect(put.status).toBe(201);
    const post = await raw(
      s.url,
      ['POST /api/file HTTP/1.1', `Authorization: ${basic(key)}`, `Content-Type: ${MP}`],
      multipart([['name="file"; filename="half.txt"', HALF_BODY]]),
      { halfClose: true },
    );
    expect(post.status).toBe(201);
    expect(json(post).success).toBe(true);
  });

  it('FileBin file/upload', async () => {
    const r = await raw(
      s.url,
      ['POST /api/v2.2.0/file/upload HTTP/1.1', `Content-Type: ${MP}`],
      multipart([
        ['name="file[1]"; filename="half.txt"', HALF_BODY],
        ['name="apikey"', key],
      ]),
      { halfClose: true },
    );
    expect(r.status).toBe(200);
    expect(json(r).status).toBe('success');
  });

  it('Chevereto /api/1/upload: multipart, urlencoded, and an error answer', async () => {
    const mp = await raw(
      s.url,
      ['POST /api/1/upload HTTP/1.1', `Content-Type: ${MP}`],
      multipart([
        ['name="key"', key],
        ['name="source"; filename="half.png"', png],
      ]),
      { halfClose: true },
    );
    expect(mp.status).toBe(200);
    expect(json(mp).status_code).toBe(200);
    const form = new URLSearchParams({ key, source: png.toString('base64') }).toString();
    const ue = await raw(
      s.url,
      ['POST /api/1/upload HTTP/1.1', 'Content-Type: application/x-www-form-urlencoded'],
      Buffer.from(form),
      { halfClose: true },
    );
    expect(ue.status).toBe(200);
    const refused = await raw(
      s.url,
      ['POST /api/1/upload HTTP/1.1', 'Content-Type: application/x-www-form-urlencoded'],
      Buffer.from('source=aGVsbG8%3D'),
      { halfClose: true },
    );
    expect(refused.status).toBe(400);
    expect(json(refused)).toMatchObject({ error: { message: 'No key provided', code: 100 } });
  });
});

describe('a client that half-closes before its body is complete', () => {
  it('is an incomplete request: 400 and the connection closed, nothing staged', async () => {
    const body = multipart([['name="file"; filename="half.bin"', Buffer.alloc(400_000, 3)]]);
    for (const head of [
      ['PUT /api/file/half.bin HTTP/1.1', `Authorization: ${basic(key)}`],
      ['POST /api/file HTTP/1.1', `Authorization: ${basic(key)}`, `Content-Type: ${MP}`],
      ['POST /api/v2.2.0/file/upload HTTP/1.1', `Content-Type: ${MP}`],
      ['POST /api/1/upload HTTP/1.1', `Content-Type: ${MP}`],
    ]) {
      const r = await raw(s.url, head, body, { halfCloseAt: 200_000 });
      expect(r.status === null || r.status === 400).toBe(true);
      await nothingStaged();
    }
    await stillServes();
  });
});

describe('POST /api/file/ (trailing slash) uploads like POST /api/file', () => {
  it('multipart, with a key and anonymously', async () => {
    const r = await fetch(`${s.url}/api/file/`, {
      method: 'POST',
      headers: { 'Content-Type': MP, Authorization: basic(key) },
      body: multipart([['name="file"; filename="slash.txt"', 'trailing slash']]),
    });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as { id: string };
    expect(await nameOf(id)).toBe('slash.txt');
    const got = await fetch(`${s.url}/api/file/${id}`);
    expect(await got.text()).toBe('trailing slash');
    // Anonymous uploads are off here: the same refusal as POST /api/file, not the rename's.
    const anon = await fetch(`${s.url}/api/file/`, {
      method: 'POST',
      headers: { 'Content-Type': MP },
      body: multipart([['name="file"; filename="slash.txt"', 'x']]),
    });
    const plain = await fetch(`${s.url}/api/file`, {
      method: 'POST',
      headers: { 'Content-Type': MP },
      body: multipart([['name="file"; filename="slash.txt"', 'x']]),
    });
    expect(anon.status).toBe(plain.status);
    expect(await anon.json()).toEqual(await plain.json());
  });
});

describe('Chevereto never leaves a spool behind', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/api/1/upload`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body,
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any

  // Spools go to the data dir's tmp; the system temp dir (os.tmpdir() reads TMPDIR) is pointed
  // at a private one here, so a spool written there would be seen too.
  let systemTmp: string;
  let savedTmp: string | undefined;
  beforeAll(async () => {
    savedTmp = process.env.TMPDIR;
    systemTmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-test-tmp-'));
    process.env.TMPDIR = systemTmp;
  });
  afterAll(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await fs.rm(systemTmp, { recursive: true, force: true });
  });
  const leftovers = async () => [
    ...(await spools()),
    ...(await fs.readdir(systemTmp)).filter((n) => n.startsWith('stowage-chv-')),
  ];

  it('urlencoded URL source: unauthenticated, URL uploads off, bad key, and base64 paths', async () => {
    const url = encodeURIComponent('http://example.invalid/picture-of-a-cat.png');
    // No key at all.
    expect((await post(`source=${url}`)).status).toBe(400);
    expect(await leftovers()).toEqual([]);
    // A wrong key.
    expect((await post(`key=nope&source=${url}`)).status).toBe(400);
    expect(await leftovers()).toEqual([]);
    // The right key, URL uploads off (the default).
    const off = await post(`key=${key}&source=${url}`);
    expect(off.json.error).toMatchObject({ code: 403 });
    expect(await leftovers()).toEqual([]);
    // Base64: refused without a key, accepted with one, invalid.
    const b64 = encodeURIComponent(png.toString('base64'));
    expect((await post(`source=${b64}`)).status).toBe(400);
    expect((await post(`key=${key}&source=${b64}`)).status).toBe(200);
    expect((await post(`key=${key}&source=${'%25%25%25'.repeat(20)}`)).status).toBe(400);
    expect(await leftovers()).toEqual([]);
    // Multipart, the file part before the key (spooled), and a wrong key.
    const mp = await fetch(`${s.url}/api/1/upload`, {
      method: 'POST',
      headers: { 'Content-Type': MP },
      body: multipart([
        ['name="source"; filename="a.png"', png],
        ['name="key"', 'wrong'],
      ]),
    });
    expect(mp.status).toBe(400);
    expect(await leftovers()).toEqual([]);
  });
});

describe.skipIf(ON_SCALE_OUT)('the staging folder after all of the above', () => {
  it('is empty', async () => {
    expect(await stagingFiles(s.dataDir)).toEqual([]);
  });
});
