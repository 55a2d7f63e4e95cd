import { ERRORS, Upload } from '@tus/utils';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, scaleOutUnavailable, startS3 } from '../../../test/scaleout.js';
import { loadConfig, type Config } from '../../config.js';
import { openSqlite, type Db } from '../db.js';
import { DatabaseLocker } from './db-locker.js';
import { RedisLocker } from './redis-locker.js';
import { s3TusBackend, type S3TusBackend } from './s3-backend.js';

const noRedis = await scaleOutUnavailable();

/** The scale-out tus backend as the wiring builds it, on s3rver (two backends: two nodes). */
describe('s3TusBackend', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let root: string;
  let db: Db;
  const open: S3TusBackend[] = [];
  const config = (extra: Record<string, unknown> = {}): Config =>
    loadConfig(
      {
        dataDir: '/nonexistent',
        storage: 's3',
        s3Bucket: s3.bucket,
        s3Endpoint: s3.endpoint,
        s3ForcePathStyle: true,
        s3Checksums: 'when_required',
        s3Prefix: 'p/',
        ...extra,
      },
      {},
    );
  const backend = (c: Config) => {
    const b = s3TusBackend(c, db);
    open.push(b);
    return b;
  };

  beforeAll(async () => {
    s3 = await startS3('tusbackend');
    // The database locker's leases (when there is no Redis); never touched by these tests.
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'stowage-tus-backend-'));
    db = openSqlite(root);
  });
  afterAll(async () => {
    for (const b of open) await b.close();
    await s3?.stop();
    await db?.destroy();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  async function sharesRemovals(a: S3TusBackend, b: S3TusBackend) {
    const id = randomBytes(16).toString('hex');
    await a.store.create(new Upload({ id, size: 5, offset: 0 }));
    expect((await b.store.getUpload(id)).size).toBe(5);
    expect(a.bytes.refOf(id)).toBe(`tus/${id}`);
    await a.bytes.remove(id);
    // b read (and, with a cache, cached) the upload before: it must not answer for it now.
    await expect(b.store.getUpload(id)).rejects.toBe(ERRORS.FILE_NOT_FOUND);
  }

  it('without Redis: the database locker, and no metadata cache that could go stale', async () => {
    const c = config();
    const [a, b] = [backend(c), backend(c)];
    expect(a.locker).toBeInstanceOf(DatabaseLocker);
    await sharesRemovals(a, b);
  });

  it.skipIf(noRedis !== null)('with Redis: the Redis locker and a shared cache', async () => {
    const c = config({
      redisUrl: REDIS_URL,
      databaseSchema: `t_${randomBytes(4).toString('hex')}`,
    });
    const [a, b] = [backend(c), backend(c)];
    expect(a.locker).toBeInstanceOf(RedisLocker);
    await sharesRemovals(a, b);
  });
});
