import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/storage/db.js';
import { runCli, spawnServer, tempDir } from './helpers.js';
import { startS3 } from './scaleout.js';

/** `stowage gc` and `stowage migrate-storage` on the embedded stack (and an s3rver bucket). */
describe('stowage gc and migrate-storage', () => {
  let root: string;
  let dataDir: string;
  let s3: Awaited<ReturnType<typeof startS3>>;
  const files: { id: string; body: Buffer }[] = [];

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

  it('migrate-storage --from fs --to s3 copies every blob, verified; a second run copies nothing; the server then serves from S3', async () => {
    const run = await runCli(['migrate-storage', '--from', 'fs', '--to', 's3', ...dd()], {
      env: s3env(),
    });
    expect(run.code, run.stderr).toBe(0);
    // Files 0 and 3 share one blob; file 2 is inline (stays in the database).
    expect(run.stdout).toMatch(/copied 1 blob\(s\) \(300000 bytes\), 0 already in place/);
    const again = await runCli(['migrate-storage', '--from', 'fs', '--to', 's3', ...dd()], {
      env: s3env(),
    });
    expect(again.stdout).toMatch(/copied 0 blob\(s\) \(0 bytes\), 1 already in place/);

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
    } finally {
      await server.stop();
    }
    const gc = await runCli(['gc', ...dd()], { env: { ...s3env(), STOWAGE_STORAGE: 's3' } });
    expect(gc.stdout).toContain('ok: the database and the blob store agree');
  });
});
