import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../src/storage/s3-blob-store.js';
import { basic, runCli, spawnServer, tempDir } from './helpers.js';
import { PG_URL, scaleOutStack, scaleOutUnavailable, type ScaleOutStack } from './scaleout.js';

const unavailable = await scaleOutUnavailable();

type Node = Awaited<ReturnType<typeof spawnServer>>;

/**
 * Two Stowage processes on one PostgreSQL schema, one s3rver bucket and one Redis: what one node
 * writes, the other serves; identical uploads racing on both store one blob; at the end the
 * database's blob references and the bucket's objects are the same set.
 */
describe.skipIf(unavailable !== null)('two nodes on PostgreSQL + S3 + Redis', () => {
  let stack: ScaleOutStack;
  let a: Node;
  let b: Node;
  let dirs: string[] = [];
  let key: string;

  const env = () => ({ ...stack.env, STOWAGE_AUTH_RATE_LIMIT: '3' });

  beforeAll(async () => {
    stack = await scaleOutStack();
    dirs = [await tempDir(), await tempDir()];
    // Start one first: it migrates the schema; the second finds it migrated.
    a = await spawnServer(dirs[0]!, env());
    b = await spawnServer(dirs[1]!, env());
    const add = await runCli(['user', 'add', 'nodeuser', '--password-stdin'], {
      env: env(),
      input: 'a-long-enough-password\n',
    });
    expect(add.code, add.stderr).toBe(0);
    const created = await runCli(['key', 'create', 'nodeuser'], { env: env() });
    expect(created.code, created.stderr).toBe(0);
    key = created.stdout.trim();
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await stack?.cleanup();
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  async function put(node: Node, name: string, body: Buffer): Promise<{ id: string }> {
    const r = await fetch(`${node.url}/api/file/${name}`, {
      method: 'PUT',
      body: new Uint8Array(body),
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
    return (await r.json()) as { id: string };
  }

  it('a file uploaded through one node is served, listed, zipped and deleted through the other', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const { id } = await put(a, 'across.bin', body);
    const got = Buffer.from(await (await fetch(`${b.url}/api/file/${id}`)).arrayBuffer());
    expect(got.equals(body)).toBe(true);
    const part = await fetch(`${b.url}/api/file/${id}`, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);

    const mine = (await (
      await fetch(`${b.url}/api/user/files`, { headers: { Authorization: basic(key) } })
    ).json()) as { files: { id: string }[] };
    expect(mine.files.map((f) => f.id)).toContain(id);

    const list = await fetch(`${a.url}/api/list`, {
      method: 'POST',
      headers: { Authorization: basic(key) },
      body: JSON.stringify({ title: 'across', files: [{ id }] }),
    });
    const listId = ((await list.json()) as { id: string }).id;
    const info = (await (await fetch(`${b.url}/api/list/${listId}`)).json()) as {
      file_count: number;
    };
    expect(info.file_count).toBe(1);

    const del = await fetch(`${b.url}/api/file/${id}`, {
      method: 'DELETE',
      headers: { Authorization: basic(key) },
    });
    expect(del.status).toBe(200);
    // Node a's metadata cache holds an entry for at most a second.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(`${a.url}/api/file/${id}`)).status).toBe(404);
  });

  it('identical content uploaded concurrently on both nodes is stored once, and survives deletes racing with uploads', async () => {
    const body = randomBytes(1024 * 1024);
    const sha = createHash('sha256').update(body).digest('hex');
    const ids = (
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => put(i % 2 ? a : b, `same-${i}.bin`, body)),
      )
    ).map((r) => r.id);
    // Delete half through alternating nodes while uploading the same bytes again.
    const racing = await Promise.all([
      ...ids.slice(0, 6).map((id, i) =>
        fetch(`${(i % 2 ? b : a).url}/api/file/${id}`, {
          method: 'DELETE',
          headers: { Authorization: basic(key) },
        }).then((r) => r.status),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        put(i % 2 ? a : b, `again-${i}.bin`, body).then(() => 201),
      ),
    ]);
    expect(racing.every((s) => s === 200 || s === 201)).toBe(true);

    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const { rows } = await db.query(
        `select refcount, (select count(*) from "${stack.schema}".files f where f.blob_key = b.key) as files
           from "${stack.schema}".blobs b where key = $1`,
        [sha],
      );
      expect(rows).toHaveLength(1);
      expect(Number(rows[0].refcount)).toBe(10);
      expect(Number(rows[0].files)).toBe(10);
    } finally {
      await db.end();
    }
    const left = ids[11]!;
    const got = Buffer.from(await (await fetch(`${a.url}/api/file/${left}`)).arrayBuffer());
    expect(got.equals(body)).toBe(true);
  });

  it('login attempts are counted across both nodes (rate limit state in Redis)', async () => {
    const statuses: number[] = [];
    for (const node of [a, b, a, b]) {
      const r = await fetch(`${node.url}/api/user/login`, {
        method: 'POST',
        body: new URLSearchParams({ username: 'nodeuser', password: 'wrong-password' }),
      });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses[3]).toBe(429);
  });

  it('at the end the database references exactly the objects in the bucket, and stowage gc agrees', async () => {
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    let referenced: string[];
    try {
      const { rows } = await db.query(
        `select location from "${stack.schema}".blobs where location <> 'inline'
         union all select location from "${stack.schema}".derived_images`,
      );
      referenced = rows.map((r: { location: string }) => r.location).sort();
    } finally {
      await db.end();
    }
    const store = new S3BlobStore({
      bucket: stack.s3.bucket,
      region: 'us-east-1',
      endpoint: stack.s3.endpoint,
      forcePathStyle: true,
      prefix: '',
      checksums: 'when_required',
    });
    const stored: string[] = [];
    for await (const loc of store.list()) stored.push(loc);
    await store.close();
    expect(stored.sort()).toEqual(referenced);
    expect(referenced.length).toBeGreaterThan(0);

    const gc = await runCli(['gc', '--min-age', '0'], { env: env() });
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain('ok: the database and the blob store agree');
  });
});
