import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/storage/db.js';
import {
  blobFiles,
  pendingUploads,
  spawnServer,
  spawnedServerForSuite,
  stagingFiles,
  startServer,
  storedLocations,
  tempDir,
  type TestServer,
} from './helpers.js';
import { portOf, rawUpload, statusOf } from './raw-http.js';
import { ON_SCALE_OUT } from './scaleout.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The JSON body of the (last) response in a raw response text. */
function jsonOf(response: string): Record<string, unknown> {
  const i = response.lastIndexOf('\r\n\r\n');
  return JSON.parse(response.slice(i + 4)) as Record<string, unknown>;
}

/** Server-side view of connections: bytes each socket read from the client. */
function trackConnections(s: TestServer) {
  const sockets: net.Socket[] = [];
  s.app.server.server.on('connection', (sock: net.Socket) => sockets.push(sock));
  return {
    mark: () => sockets.length,
    /** Waits until every connection accepted since `from` is closed, then sums what they read. */
    async bytesReadSince(
      from: number,
      timeoutMs = 5000,
    ): Promise<{ bytes: number; allClosed: boolean }> {
      const deadline = Date.now() + timeoutMs;
      const mine = () => sockets.slice(from);
      while (Date.now() < deadline && !mine().every((x) => x.destroyed)) await sleep(20);
      return {
        bytes: mine().reduce((a, x) => a + x.bytesRead, 0),
        allClosed: mine().every((x) => x.destroyed),
      };
    },
  };
}

async function waitFor(
  cond: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function fileRows(s: TestServer): Promise<number> {
  const r = await s.app.runtime.db
    .selectFrom('files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function stagingBytes(dataDir: string): Promise<number> {
  let n = 0;
  for (const f of await stagingFiles(dataDir))
    n += (await fsp.stat(path.join(dataDir, 'staging', f)).catch(() => ({ size: 0 }))).size;
  return n;
}

const BOUNDARY = '----stowagehostile';
const multipartHead = (name: string) =>
  Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );

// ---------------------------------------------------------------------------------------------

describe('over-limit uploads are refused before (or as soon as) the limit is passed', () => {
  let s: TestServer;
  let conns: ReturnType<typeof trackConnections>;
  let port: number;

  beforeAll(async () => {
    s = await startServer({ maxFileSize: '1MiB' });
    conns = trackConnections(s);
    port = portOf(s.url);
  });
  afterAll(() => s?.close());

  it('PUT with a 1 GiB Content-Length and Expect: 100-continue gets 413 instead of 100 Continue', async () => {
    const mark = conns.mark();
    const r = await rawUpload(port, {
      head: [
        'PUT /api/file/big.bin HTTP/1.1',
        'Host: 127.0.0.1',
        `Content-Length: ${GiB}`,
        'Expect: 100-continue',
        'Content-Type: application/octet-stream',
      ].join('\r\n'),
      timeoutMs: 5000,
    });
    expect(r.response).not.toContain('100 Continue');
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'file_too_large' });
    // The server does not wait for a body it refused: it closes the connection.
    expect(r.ended).not.toBe('timeout');
    const { bytes, allClosed } = await conns.bytesReadSince(mark);
    expect(allClosed).toBe(true);
    expect(bytes).toBeLessThan(4096); // the headers, nothing else
  });

  it('Expect: 100-continue within the limit gets 100 Continue, then the upload succeeds', async () => {
    const body = randomBytes(100_000);
    const sock = net.connect({ host: '127.0.0.1', port });
    let text = '';
    sock.on('data', (d) => (text += d.toString('latin1')));
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `PUT /api/file/ok.bin HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    await waitFor(() => text.length > 0, 5000, '100 Continue');
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    sock.write(body);
    await new Promise((r) => sock.once('close', r));
    const final = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(statusOf(final)).toBe(201);
    const info = jsonOf(final);
    expect(info.hash_sha256).toBe(sha256(body));
    const res = await fetch(`${s.url}/api/file/${String(info.id)}/info`);
    expect(res.status).toBe(200);
  });

  it('PUT with a 1 GiB Content-Length and no Expect: 413, connection closed, the body is not read', async () => {
    const mark = conns.mark();
    const r = await rawUpload(port, {
      head: ['PUT /api/file/big.bin HTTP/1.1', 'Host: 127.0.0.1', `Content-Length: ${GiB}`].join(
        '\r\n',
      ),
      bodyBytes: GiB,
      stopOnResponse: true,
      timeoutMs: 15_000,
    });
    const server = await conns.bytesReadSince(mark);
    console.log(
      `[hostile] 1 GiB declared, no Expect: client wrote ${(r.written / MiB).toFixed(2)} MiB, server read ${(server.bytes / 1024).toFixed(1)} KiB, ended=${r.ended}`,
    );
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'file_too_large' });
    expect(r.ended).not.toBe('timeout');
    expect(server.allClosed).toBe(true);
    // Kernel socket buffers on both sides absorb a few MiB at most; the rest is never sent.
    expect(r.written).toBeLessThan(64 * MiB);
    expect(server.bytes).toBeLessThan(16 * MiB);
    expect(await pendingUploads(s)).toBe(0);
  });

  it('a chunked PUT that streams past the limit is cut off with 413 and leaves nothing behind', async () => {
    const filesBefore = await fileRows(s);
    const blobsBefore = await storedLocations(s);
    const mark = conns.mark();
    const r = await rawUpload(port, {
      head: [
        'PUT /api/file/stream.bin HTTP/1.1',
        'Host: 127.0.0.1',
        'Transfer-Encoding: chunked',
      ].join('\r\n'),
      bodyBytes: 3 * MiB,
      chunked: true,
      stopOnResponse: true,
      timeoutMs: 10_000,
    });
    const server = await conns.bytesReadSince(mark);
    console.log(
      `[hostile] chunked 3 MiB vs 1 MiB limit: client wrote ${(r.written / MiB).toFixed(2)} MiB, server read ${(server.bytes / MiB).toFixed(2)} MiB, ended=${r.ended}`,
    );
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'file_too_large' });
    expect(r.ended).not.toBe('timeout');
    // Cut off near the limit: the server did not read the whole 3 MiB.
    expect(server.bytes).toBeLessThan(2.5 * MiB);
    await waitFor(async () => (await pendingUploads(s)) === 0, 3000, 'no upload pending');
    expect(await storedLocations(s)).toEqual(blobsBefore);
    expect(await fileRows(s)).toBe(filesBefore);
    // And the server is still fine.
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
  });

  it('a chunked multipart POST whose file passes the limit gets 413 and leaves nothing behind', async () => {
    const filesBefore = await fileRows(s);
    const blobsBefore = await storedLocations(s);
    // Chunked framing of the preamble is done by hand: one chunk holding the part headers.
    const pre = multipartHead('stream.bin');
    const r = await rawUpload(port, {
      head: [
        'POST /api/file HTTP/1.1',
        'Host: 127.0.0.1',
        'Transfer-Encoding: chunked',
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
      ].join('\r\n'),
      preamble: Buffer.concat([
        Buffer.from(`${pre.length.toString(16)}\r\n`),
        pre,
        Buffer.from('\r\n'),
      ]),
      bodyBytes: 3 * MiB,
      chunked: true,
      stopOnResponse: true,
      timeoutMs: 10_000,
    });
    expect(statusOf(r.response)).toBe(413);
    expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'file_too_large' });
    await waitFor(async () => (await pendingUploads(s)) === 0, 3000, 'no upload pending');
    expect(await storedLocations(s)).toEqual(blobsBefore);
    expect(await fileRows(s)).toBe(filesBefore);
  });

  it('multipart POST with a 1 GiB Content-Length gets 413 before the body (with and without Expect)', async () => {
    for (const expectContinue of [true, false]) {
      const mark = conns.mark();
      const r = await rawUpload(port, {
        head: [
          'POST /api/file HTTP/1.1',
          'Host: 127.0.0.1',
          `Content-Length: ${GiB}`,
          `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
          ...(expectContinue ? ['Expect: 100-continue'] : []),
        ].join('\r\n'),
        preamble: expectContinue ? undefined : multipartHead('big.bin'),
        bodyBytes: expectContinue ? 0 : GiB,
        stopOnResponse: true,
        timeoutMs: 10_000,
      });
      const server = await conns.bytesReadSince(mark);
      console.log(
        `[hostile] multipart 1 GiB declared, Expect=${expectContinue}: client wrote ${(r.written / MiB).toFixed(2)} MiB, server read ${(server.bytes / 1024).toFixed(1)} KiB`,
      );
      expect(r.response).not.toContain('100 Continue');
      expect(statusOf(r.response)).toBe(413);
      expect(jsonOf(r.response)).toMatchObject({ success: false, value: 'file_too_large' });
      expect(r.ended).not.toBe('timeout');
      expect(server.allClosed).toBe(true);
      expect(server.bytes).toBeLessThan(expectContinue ? 4096 : 16 * MiB);
      expect(r.written).toBeLessThan(64 * MiB);
    }
  });
});

describe('a client that disconnects mid-upload leaves nothing behind', () => {
  let s: TestServer;
  let port: number;

  beforeAll(async () => {
    s = await startServer({ maxFileSize: '64MiB' });
    port = portOf(s.url);
  });
  afterAll(() => s?.close());

  /**
   * Whether the partial state of an abandoned upload (staging file, incomplete multipart upload)
   * can be checked on this stack. Not on scale-out: S3BlobStore.put aborts its multipart upload
   * when the body fails (src/storage/s3-blob-store.test.ts sees the AbortMultipartUpload), but
   * s3rver implements neither AbortMultipartUpload nor ListMultipartUploads, so nothing here can
   * count what is left. The test 'no partial upload is left in the store' below is skipped there,
   * visibly.
   */
  const PARTIAL_UPLOADS_CLEANED = !ON_SCALE_OUT;

  /**
   * Start an upload of 32 MiB declared, send 12 MiB, wait for it to reach the blob store, then
   * vanish. 12 MiB: more than one S3 part (8 MiB), so on S3 the multipart upload has begun.
   */
  async function abandon(head: string, preamble?: Buffer): Promise<void> {
    const pendingBefore = await pendingUploads(s);
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.on('error', () => {});
    let response = '';
    sock.on('data', (d) => (response += d.toString('latin1')));
    await new Promise((r) => sock.once('connect', r));
    sock.write(head + '\r\n\r\n');
    if (preamble) sock.write(preamble);
    const chunk = randomBytes(256 * 1024);
    for (let sent = 0; sent < 12 * MiB; sent += chunk.length) {
      if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
    }
    // The upload has reached the blob store: a staging file / a multipart upload exists.
    await waitFor(
      async () => (await pendingUploads(s)) > pendingBefore,
      10_000,
      'the upload to reach the blob store',
    );
    expect(response).toBe('');
    sock.destroy();
  }

  async function expectNothingLeft(filesBefore: number): Promise<void> {
    if (PARTIAL_UPLOADS_CLEANED)
      await waitFor(async () => (await pendingUploads(s)) === 0, 5000, 'no upload pending');
    expect(await storedLocations(s)).toEqual([]);
    expect(await fileRows(s)).toBe(filesBefore);
    const blobRows = await s.app.runtime.db.selectFrom('blobs').selectAll().execute();
    expect(blobRows).toEqual([]);
  }

  async function stillServes(): Promise<void> {
    const body = randomBytes(300_000);
    const put = await fetch(`${s.url}/api/file/after.bin`, { method: 'PUT', body });
    expect(put.status).toBe(201);
    const { id } = (await put.json()) as { id: string };
    const got = Buffer.from(await (await fetch(`${s.url}/api/file/${id}`)).arrayBuffer());
    expect(got.equals(body)).toBe(true);
  }

  it('PUT: socket destroyed after 12 of 32 MiB', async () => {
    const before = await fileRows(s);
    await abandon(
      ['PUT /api/file/partial.bin HTTP/1.1', 'Host: 127.0.0.1', `Content-Length: ${32 * MiB}`].join(
        '\r\n',
      ),
    );
    await expectNothingLeft(before);
  });

  it('multipart POST: socket destroyed after 12 of 32 MiB', async () => {
    const before = await fileRows(s);
    await abandon(
      [
        'POST /api/file HTTP/1.1',
        'Host: 127.0.0.1',
        `Content-Length: ${32 * MiB}`,
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
      ].join('\r\n'),
      multipartHead('partial.bin'),
    );
    await expectNothingLeft(before);
  });

  // See PARTIAL_UPLOADS_CLEANED: on S3 the abandoned multipart uploads stay (known bug).
  it.skipIf(!PARTIAL_UPLOADS_CLEANED)(
    'no partial upload is left in the store (staging file, incomplete multipart upload)',
    async () => {
      expect(await pendingUploads(s)).toBe(0);
    },
  );

  it('the server still accepts and serves uploads afterwards', async () => {
    await stillServes();
    if (PARTIAL_UPLOADS_CLEANED) expect(await pendingUploads(s)).toBe(0);
    // Exactly one stored blob: the one the new upload's row points at.
    const rows = await s.app.runtime.db.selectFrom('blobs').select('location').execute();
    expect(rows).toHaveLength(1);
    expect(await storedLocations(s)).toEqual([rows[0]!.location]);
  });
});

// About the local disk: the staging directory a crash leaves behind and its cleanup at restart,
// checked on the data dir of a `stowage serve` child process (spawnServer always runs the embedded
// stack). On S3 the counterpart is the abort of stale multipart uploads at start (older than 24 h).
describe.skipIf(ON_SCALE_OUT)('server process killed (SIGKILL) mid-upload, then restarted', () => {
  let dataDir: string;
  const children: Array<{ stop(): Promise<void>; pids: () => number[] }> = [];

  beforeAll(async () => {
    dataDir = await tempDir();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      await c.stop().catch(() => {});
      for (const pid of c.pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
  afterAll(async () => {
    if (dataDir) await fsp.rm(dataDir, { recursive: true, force: true });
  });

  async function spawn() {
    const srv = await spawnServer(dataDir);
    // spawnServer runs the server itself as the child (no wrapper process).
    const inner = [srv.child.pid!];
    children.push({ stop: srv.stop, pids: () => inner });
    return { ...srv, inner };
  }

  it('leaves only a staging file, which the restart cleans; complete files are intact', async () => {
    const first = await spawn();
    // A complete upload before the crash.
    const good = randomBytes(700_000);
    const put = await fetch(`${first.url}/api/file/good.bin`, { method: 'PUT', body: good });
    expect(put.status).toBe(201);
    const { id: goodId } = (await put.json()) as { id: string };
    const goodBlobs = await blobFiles(dataDir);
    expect(goodBlobs).toHaveLength(1);
    expect(goodBlobs[0]!.startsWith(sha256(good))).toBe(true);

    // A big upload in progress: 200 MiB declared, fed slowly.
    const sock = net.connect({ host: '127.0.0.1', port: portOf(first.url) });
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `PUT /api/file/huge.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${200 * MiB}\r\n\r\n`,
    );
    let feeding = true;
    const feeder = (async () => {
      const chunk = randomBytes(256 * 1024);
      for (let sent = 0; feeding && sent < 20 * MiB && !sock.destroyed; sent += chunk.length) {
        if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r).once('close', r));
        await sleep(5);
      }
    })();
    try {
      await waitFor(
        async () => (await stagingBytes(dataDir)) >= 2 * MiB,
        10_000,
        'the big upload to reach staging',
      );

      const exited = new Promise((r) => first.child.once('exit', r));
      first.child.kill('SIGKILL');
      await exited;
      await waitFor(
        () => first.inner.every((p) => !fs.existsSync(`/proc/${p}`)),
        5000,
        'the server to die',
      );
    } finally {
      feeding = false;
      sock.destroy();
      await feeder;
    }

    // The crash left a partial upload behind: the scenario is real.
    const left = await stagingFiles(dataDir);
    expect(left.length).toBeGreaterThan(0);
    expect(await blobFiles(dataDir)).toEqual(goodBlobs);

    const second = await spawn();
    expect(await stagingFiles(dataDir)).toEqual([]);
    expect(await blobFiles(dataDir)).toEqual(goodBlobs);
    const res = await fetch(`${second.url}/api/file/${goodId}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(good)).toBe(true);

    // No trace of the partial upload in the metadata.
    const db = openSqlite(dataDir);
    try {
      const files = await db.selectFrom('files').select(['id', 'name']).execute();
      expect(files).toEqual([{ id: goodId, name: 'good.bin' }]);
      const blobs = await db.selectFrom('blobs').select(['key', 'refcount']).execute();
      expect(blobs).toEqual([{ key: sha256(good), refcount: 1 }]);
    } finally {
      await db.destroy();
    }

    // And it takes new uploads.
    const again = await fetch(`${second.url}/api/file/again.bin`, {
      method: 'PUT',
      body: Buffer.from('after the crash'),
    });
    expect(again.status).toBe(201);
  });
});

// A `stowage serve` child process: spawnServer always runs the embedded stack (local disk, SQLite),
// so the scale-out run would only repeat the embedded one; its staging check is on the local disk.
describe.skipIf(ON_SCALE_OUT)('a server process survives hostile uploads', () => {
  const spawned = spawnedServerForSuite({ STOWAGE_MAX_FILE_SIZE: '1MiB' });

  it('over-limit (declared and streamed) and abandoned uploads do not take it down', async () => {
    const { srv, dataDir } = spawned();
    const port = portOf(srv.url);
    const results = await Promise.all([
      rawUpload(port, {
        head: `PUT /api/file/a HTTP/1.1\r\nHost: x\r\nContent-Length: ${GiB}\r\nExpect: 100-continue`,
        timeoutMs: 5000,
      }),
      rawUpload(port, {
        head: `PUT /api/file/b HTTP/1.1\r\nHost: x\r\nContent-Length: ${GiB}`,
        bodyBytes: GiB,
        stopOnResponse: true,
        timeoutMs: 10_000,
      }),
      rawUpload(port, {
        head: `PUT /api/file/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked`,
        bodyBytes: 3 * MiB,
        chunked: true,
        stopOnResponse: true,
        timeoutMs: 10_000,
      }),
    ]);
    const [declared, ...streamed] = results;
    expect(statusOf(declared!.response)).toBe(413);
    // The close lingers (test/lingering-close.test.ts): the answer is read before any reset.
    for (const r of streamed) expect(statusOf(r.response)).toBe(413);
    expect(results[1]!.written).toBeLessThan(GiB);
    // Abandoned mid-body.
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write(`PUT /api/file/d HTTP/1.1\r\nHost: x\r\nContent-Length: ${MiB}\r\n\r\n`);
    sock.write(randomBytes(300_000));
    await sleep(200);
    sock.destroy();
    await sleep(200);

    expect(srv.child.exitCode).toBeNull();
    expect(srv.child.signalCode).toBeNull();
    expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
    const ok = await fetch(`${srv.url}/api/file/fine.txt`, { method: 'PUT', body: 'still here' });
    expect(ok.status).toBe(201);
    await waitFor(
      async () => (await stagingFiles(dataDir)).length === 0,
      3000,
      'staging to be empty',
    );
  });
});
