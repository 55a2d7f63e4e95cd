import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upload } from '@tus/utils';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { basic, tempDir } from './helpers.js';
import { scaleOutStack, scaleOutUnavailable, type ScaleOutStack } from './scaleout.js';

const unavailable = await scaleOutUnavailable();

const TUS = { 'Tus-Resumable': '1.0.0' };
const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Node {
  app: App;
  url: string;
  dir: string;
}

/**
 * tus on the scale-out stack: two Stowage nodes (two apps, each its own tus store, locker and
 * hash states) on one PostgreSQL schema, one s3rver bucket and one Redis. Uploads cut mid-PATCH
 * and resumed on the other node, PATCHes of one upload racing through both, expiry.
 */
describe.skipIf(unavailable !== null)('tus on two nodes (PostgreSQL + S3 + Redis)', () => {
  let stack: ScaleOutStack;
  let a: Node;
  let b: Node;
  let key: string;
  let s3: S3Client;
  /** Added to the nodes' clocks (expiry without waiting). */
  let skew = 0;

  async function node(): Promise<Node> {
    const dir = await tempDir();
    const config = loadConfig(
      {
        host: '127.0.0.1',
        port: 0,
        dataDir: dir,
        logLevel: 'silent',
        ...stack.config,
        anonDailyUploads: 0,
        anonDailyUploadBytes: 0,
        maxFileSize: 64 * MiB,
      },
      {},
    );
    const app = await buildApp(config, { now: () => Date.now() + skew });
    const url = await app.listen();
    return { app, url, dir };
  }

  beforeAll(async () => {
    stack = await scaleOutStack();
    a = await node();
    b = await node();
    const { accounts } = a.app.runtime.core;
    await accounts.createUser('tusnodes', null, false);
    key = (await accounts.createKey('tusnodes', 'test', '127.0.0.1')).key;
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: stack.s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await a?.app.close();
    await b?.app.close();
    await stack?.cleanup();
    for (const n of [a, b]) if (n) await fs.rm(n.dir, { recursive: true, force: true });
  });

  const auth = () => ({ Authorization: basic(key) });

  async function create(n: Node, length: number): Promise<string> {
    const res = await fetch(`${n.url}/api/tus`, {
      method: 'POST',
      headers: {
        ...TUS,
        ...auth(),
        'Upload-Length': String(length),
        'Upload-Metadata': `filename ${Buffer.from('big.bin').toString('base64')}`,
      },
    });
    expect(res.status).toBe(201);
    return res.headers.get('location')!.split('/').pop()!;
  }

  async function head(n: Node, id: string): Promise<number> {
    const res = await fetch(`${n.url}/api/tus/${id}`, {
      method: 'HEAD',
      headers: { ...TUS, ...auth() },
    });
    expect(res.status).toBe(200);
    return Number(res.headers.get('upload-offset'));
  }

  /** A PATCH of `body` at `offset`; with `cutAfter`, the socket is destroyed after that many bytes. */
  function patch(
    n: Node,
    id: string,
    offset: number,
    body: Buffer,
    cutAfter?: number,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders } | 'cut'> {
    return new Promise((resolve, reject) => {
      const u = new URL(`${n.url}/api/tus/${id}`);
      const req = http.request({
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'PATCH',
        headers: {
          ...TUS,
          ...auth(),
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': String(offset),
          'Content-Length': String(body.length),
        },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('error', () => {});
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
      });
      if (cutAfter === undefined) {
        req.on('error', reject);
        req.end(body);
        return;
      }
      req.on('error', () => resolve('cut'));
      req.write(body.subarray(0, cutAfter), () => {
        // Let the server read what was sent, then cut the connection mid-body.
        setTimeout(() => {
          req.destroy();
          resolve('cut');
        }, 150);
      });
    });
  }

  async function tusObjects(): Promise<string[]> {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: 'tus/' }),
    );
    return (res.Contents ?? []).map((o) => o.Key!);
  }

  async function download(fileId: string): Promise<Buffer> {
    const res = await fetch(`${a.url}/api/file/${fileId}`);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  it('an upload cut at random points and resumed alternately on both nodes ends byte-exact', async () => {
    const data = randomBytes(24 * MiB + 12_345);
    const id = await create(a, data.length);
    const nodes = [b, a];
    let cuts = 0;
    let fileId: string | undefined;
    for (let round = 0; !fileId && round < 30; round++) {
      const n = nodes[round % 2]!;
      const offset = await head(n, id);
      const rest = data.subarray(offset);
      if (cuts < 4) {
        const cutAfter = 1 + Math.floor(Math.random() * (rest.length - 1));
        const res = await patch(n, id, offset, rest, cutAfter);
        // The server may answer before the cut (it refused the offset): then it is no cut.
        if (res === 'cut') cuts++;
        else expect([204, 409, 423]).toContain(res.status);
        continue;
      }
      const res = await patch(n, id, offset, rest);
      if (res === 'cut' || res.status === 409 || res.status === 423) continue;
      expect(res.status).toBe(204);
      fileId = res.headers['stowage-file-id'] as string;
    }
    expect(cuts).toBe(4);
    expect(fileId).toBeTruthy();
    expect(sha256(await download(fileId!))).toBe(sha256(data));
    const status = (await (await fetch(`${b.url}/api/tus/${id}`, { headers: auth() })).json()) as {
      file_id: string;
      offset: number;
    };
    expect(status).toMatchObject({ file_id: fileId, offset: data.length });
    // The parts went into the blob; nothing of the upload stays in the bucket's tus area.
    expect(await tusObjects()).toEqual([]);
  }, 120_000);

  it('PATCHes of one upload racing through both nodes: one wins, the other is refused, no mix', async () => {
    const length = 8 * MiB;
    const id = await create(a, length);
    const x = randomBytes(length);
    const y = randomBytes(length);
    const [ra, rb] = await Promise.all([patch(a, id, 0, x), patch(b, id, 0, y)]);
    expect(ra).not.toBe('cut');
    expect(rb).not.toBe('cut');
    const answers = [ra, rb] as { status: number; headers: http.IncomingHttpHeaders }[];
    const won = answers.filter((r) => r.status === 204);
    expect(won).toHaveLength(1);
    expect([409, 423]).toContain(answers.find((r) => r.status !== 204)!.status);
    const fileId = won[0]!.headers['stowage-file-id'] as string;
    const body = await download(fileId);
    expect(sha256(body)).toBe(sha256(won[0] === ra ? x : y));
  }, 60_000);

  it('an expired unfinished upload leaves nothing in the bucket and nothing in the database; nor does one without a row', async () => {
    const id = await create(b, 20 * MiB);
    const res = await patch(b, id, 0, randomBytes(7 * MiB));
    expect(res).not.toBe('cut');
    expect((res as { status: number }).status).toBe(204);
    const mine = (await tusObjects()).filter((k) => k.startsWith(`tus/${id}`));
    expect(mine.length).toBeGreaterThan(0);
    const { db } = a.app.runtime;
    expect(
      await db.selectFrom('tus_uploads').select('id').where('id', '=', id).execute(),
    ).toHaveLength(1);

    // And one the bucket holds without a row (a crash between the two, a failed removal).
    const orphan = randomBytes(16).toString('hex');
    await a.app.runtime.tus!.datastore.create(new Upload({ id: orphan, size: 10, offset: 0 }));
    expect(await tusObjects()).toContain(`tus/${orphan}.info`);

    skew = a.app.runtime.config.tusExpiryMs + 60_000;
    try {
      // This one, the orphan, and the records of the uploads finished above.
      expect(await a.app.runtime.core.tusSweep!.runOnce()).toBeGreaterThanOrEqual(2);
    } finally {
      skew = 0;
    }
    expect(await tusObjects()).toEqual([]);
    expect(await db.selectFrom('tus_uploads').select('id').where('id', '=', id).execute()).toEqual(
      [],
    );
    // Gone for both nodes (the metadata cache is shared).
    const gone = await fetch(`${a.url}/api/tus/${id}`, {
      method: 'HEAD',
      headers: { ...TUS, ...auth() },
    });
    expect(gone.status).toBe(404);
  }, 60_000);
});
