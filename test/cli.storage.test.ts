import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/storage/db.js';
import { basic, runCli, spawnServer, tempDir } from './helpers.js';
import { startS3 } from './scaleout.js';

/** `stowage gc` and `stowage migrate-storage` on the embedded stack (and an s3rver bucket). */
describe('stowage gc and migrate-storage', () => {
  let root: string;
  let dataDir: string;
  let s3: Awaited<ReturnType<typeof startS3>>;
  const files: { id: string; body: Buffer }[] = [];
  // File nodes (/api/filesystem/me/...): big.bin and small.txt hold content only nodes reference,
  // copy.bin the content of files 0 and 3.
  const nodes: { path: string; body: Buffer }[] = [];
  let key = '';

  const dd = () => ['--data-dir', dataDir];
  const s3env = () => ({
    STOWAGE_S3_BUCKET: s3.bucket,
    STOWAGE_S3_ENDPOINT: s3.endpoint,
    STOWAGE_S3_FORCE_PATH_STYLE: 'true',
    STOWAGE_S3_CHECKSUMS: 'when_required',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });

  async function blobPaths(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push(p);
      }
    };
    await walk(path.join(dataDir, 'blobs'));
    return out;
  }

  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const localPath = (location: string) =>
    path.join(dataDir, 'blobs', location.slice(0, 2), location.slice(2, 4), location);

  /** Every blob row's reference count, by key. */
  async function refcounts(): Promise<Map<string, number>> {
    const db = openSqlite(dataDir);
    try {
      const rows = await db.selectFrom('blobs').select(['key', 'refcount']).execute();
      return new Map(rows.map((r) => [r.key, Number(r.refcount)]));
    } finally {
      await db.destroy();
    }
  }

  /** Each file node reads back through /api/filesystem with its bytes. */
  async function expectNodes(url: string): Promise<void> {
    for (const n of nodes) {
      const r = await fetch(`${url}/api/filesystem/me${n.path}`, {
        headers: { authorization: basic(key) },
      });
      expect(r.status, n.path).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(n.body), n.path).toBe(true);
    }
  }

  beforeAll(async () => {
    root = await tempDir('stowage-gc-');
    dataDir = path.join(root, 'data');
    s3 = await startS3();
    const server = await spawnServer(dataDir);
    try {
      // Two big files (blob files), one small (inline in the database), one duplicate.
      const bodies = [randomBytes(300_000), randomBytes(2_000_000), randomBytes(1000)];
      bodies.push(bodies[0]!);
      for (const [i, body] of bodies.entries()) {
        const r = await fetch(`${server.url}/api/file/f${i}.bin`, {
          method: 'PUT',
          body: new Uint8Array(body),
        });
        expect(r.status).toBe(201);
        files.push({ id: ((await r.json()) as { id: string }).id, body });
      }
      expect((await runCli(['user', 'add', 'alice', ...dd()])).code).toBe(0);
      key = (await runCli(['key', 'create', 'alice', ...dd()])).stdout.trim();
      const nodeBodies: [string, Buffer][] = [
        ['/docs/big.bin', randomBytes(500_000)],
        ['/docs/small.txt', Buffer.from('only a node holds this')],
        ['/copy.bin', bodies[0]!],
        ['/lost.bin', randomBytes(100_000)],
      ];
      for (const [p, body] of nodeBodies) {
        const r = await fetch(`${server.url}/api/filesystem/me${p}?make_parents=true`, {
          method: 'PUT',
          headers: { authorization: basic(key) },
          body: new Uint8Array(body),
        });
        expect(r.status, await r.text()).toBe(200);
        nodes.push({ path: p, body });
      }
    } finally {
      await server.stop();
    }
  }, 60_000);

  afterAll(async () => {
    await s3?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('a consistent store: gc reports nothing to do', async () => {
    const r = await runCli(['gc', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ok: the database and the blob store agree');
    expect(r.stdout).toContain('uploads in progress or abandoned: 0');
  });

  it('counts file nodes as references: gc --fix keeps the blobs only nodes hold, readable', async () => {
    const before = await refcounts();
    expect(before.get(sha(nodes[0]!.body))).toBe(1); // big.bin, a node only
    expect(before.get(sha(nodes[1]!.body))).toBe(1); // small.txt, inline, a node only
    expect(before.get(sha(files[0]!.body))).toBe(3); // files 0 and 3, and copy.bin
    const fixed = await runCli(['gc', '--fix', ...dd()]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('wrong reference counts: 0');
    expect(fixed.stdout).toContain('ok: the database and the blob store agree');
    expect(await refcounts()).toEqual(before);
    const server = await spawnServer(dataDir);
    try {
      await expectNodes(server.url);
    } finally {
      await server.stop();
    }
  });

  it('reports a wrong count against files and nodes, and the nodes whose bytes are missing; --fix repairs both', async () => {
    const big = sha(nodes[0]!.body);
    const lost = nodes.find((n) => n.path === '/lost.bin')!;
    const db = openSqlite(dataDir);
    try {
      await db.updateTable('blobs').set({ refcount: 5 }).where('key', '=', big).execute();
      const row = await db
        .selectFrom('blobs')
        .select('location')
        .where('key', '=', sha(lost.body))
        .executeTakeFirstOrThrow();
      await fs.rm(localPath(row.location));
    } finally {
      await db.destroy();
    }
    const report = await runCli(['gc', ...dd()]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(`${big}: recorded 5, files 0, nodes 1`);
    expect(report.stdout).toContain(
      'missing objects (files without their bytes): 1, 0 file(s), 1 node(s)',
    );
    expect(report.stdout).toContain('node alice:/lost.bin');
    expect(report.stdout).toContain('2 problem(s); run with --fix to repair');

    const fixed = await runCli(['gc', '--fix', ...dd()]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('fixed 2 problem(s)');
    const counts = await refcounts();
    expect(counts.get(big)).toBe(1);
    // The node that could not be served is gone, and its blob row with it.
    expect(counts.has(sha(lost.body))).toBe(false);
    const check = openSqlite(dataDir);
    try {
      const paths = await check.selectFrom('fs_nodes').select('path').execute();
      expect(paths.map((p) => p.path)).not.toContain('/lost.bin');
    } finally {
      await check.destroy();
    }
    nodes.splice(nodes.indexOf(lost), 1);
    const again = await runCli(['gc', ...dd()]);
    expect(again.stdout).toContain('ok: the database and the blob store agree');
  });

  it('finds an unused object, a wrong count and a missing blob; --fix repairs them', async () => {
    // An object no row references, old enough not to be an upload in flight...
    const [first] = await blobPaths();
    const orphanName = `${'ab'.repeat(32)}.${'cd'.repeat(8)}`;
    const orphan = path.join(dataDir, 'blobs', 'ab', 'ab', orphanName);
    await fs.mkdir(path.dirname(orphan), { recursive: true });
    await fs.copyFile(first!, orphan);
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    await fs.utimes(orphan, old, old);
    // ...a young one (left alone), a wrong reference count, and the bytes of file 1 gone.
    const young = path.join(dataDir, 'blobs', 'ab', 'ab', `${'ab'.repeat(32)}.${'ef'.repeat(8)}`);
    await fs.copyFile(first!, young);
    const sha1 = createHash('sha256').update(files[1]!.body).digest('hex');
    const db = openSqlite(dataDir);
    const sha0 = createHash('sha256').update(files[0]!.body).digest('hex');
    try {
      await db.updateTable('blobs').set({ refcount: 7 }).where('key', '=', sha0).execute();
      const row = await db
        .selectFrom('blobs')
        .select('location')
        .where('key', '=', sha1)
        .executeTakeFirstOrThrow();
      await fs.rm(
        path.join(
          dataDir,
          'blobs',
          row.location.slice(0, 2),
          row.location.slice(2, 4),
          row.location,
        ),
      );
    } finally {
      await db.destroy();
    }

    const report = await runCli(['gc', ...dd()]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('unused objects (no file, older than 3600 s): 1');
    expect(report.stdout).toContain(orphanName);
    expect(report.stdout).toContain('missing objects (files without their bytes): 1, 1 file(s)');
    expect(report.stdout).toContain(files[1]!.id);
    expect(report.stdout).toContain(`${sha0}: recorded 7, files 2`);
    expect(report.stdout).toContain('young unused objects left alone: 1');
    expect(report.stdout).toContain('3 problem(s); run with --fix to repair');

    const fixed = await runCli(['gc', '--fix', ...dd()]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('fixed 3 problem(s)');
    await expect(fs.stat(orphan)).rejects.toThrow();
    await fs.stat(young);
    await fs.rm(young);
    files.splice(1, 1); // its bytes are gone, and so is the file now

    const again = await runCli(['gc', ...dd()]);
    expect(again.stdout).toContain('ok: the database and the blob store agree');
  });

  it('migrate-storage --from fs --to s3 copies every blob (those only file nodes hold too), verified; a second run copies nothing; the server then serves from S3', async () => {
    const run = await runCli(['migrate-storage', '--from', 'fs', '--to', 's3', ...dd()], {
      env: s3env(),
    });
    expect(run.code, run.stderr).toBe(0);
    // Files 0 and 3 (and copy.bin) share one blob; file 2 and small.txt are inline (they stay in
    // the database); big.bin's blob only a node holds.
    expect(run.stdout).toMatch(/copied 2 blob\(s\) \(800000 bytes\), 0 already in place/);
    const again = await runCli(['migrate-storage', '--from', 'fs', '--to', 's3', ...dd()], {
      env: s3env(),
    });
    expect(again.stdout).toMatch(/copied 0 blob\(s\) \(0 bytes\), 2 already in place/);

    // Serve from the bucket only: the local blobs go away.
    await fs.rm(path.join(dataDir, 'blobs'), { recursive: true, force: true });
    const server = await spawnServer(dataDir, { ...s3env(), STOWAGE_STORAGE: 's3' });
    try {
      for (const f of files) {
        const got = Buffer.from(
          await (await fetch(`${server.url}/api/file/${f.id}`)).arrayBuffer(),
        );
        expect(got.equals(f.body)).toBe(true);
      }
      await expectNodes(server.url);
    } finally {
      await server.stop();
    }
    const gc = await runCli(['gc', ...dd()], { env: { ...s3env(), STOWAGE_STORAGE: 's3' } });
    expect(gc.stdout).toContain('ok: the database and the blob store agree');
  });

  it('user delete removes the account’s tree: the blobs only its nodes held go, from the bucket too; shared ones stay', async () => {
    const env = { ...s3env(), STOWAGE_STORAGE: 's3' };
    const before = await refcounts();
    expect(before.get(sha(files[0]!.body))).toBe(3);
    const r = await runCli(['user', 'delete', 'alice', ...dd()], { env });
    expect(r.code, r.stderr).toBe(0);
    const after = await refcounts();
    expect(after.has(sha(nodes[0]!.body))).toBe(false); // big.bin
    expect(after.has(sha(nodes[1]!.body))).toBe(false); // small.txt
    expect(after.get(sha(files[0]!.body))).toBe(2); // files 0 and 3 keep it
    // No object left behind in the bucket (--min-age 0: none is taken for an upload in flight).
    const gc = await runCli(['gc', '--min-age', '0', ...dd()], { env });
    expect(gc.stdout).toContain('ok: the database and the blob store agree');
  });
});
