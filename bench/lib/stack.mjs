// The scale-out stack for `npm run bench -- --stack pg-s3`: PostgreSQL (BENCH_PG, default the
// local server), Redis (BENCH_REDIS) and an s3rver started here, in a worker thread. Every
// Stowage start gets a fresh schema and bucket; all are removed at the end. s3rver is a test
// server writing to local disk: the figures measure Stowage's overhead on this stack, not S3's
// speed.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startS3rverThread } from './s3rver-thread.mjs';

export function stackArg(argv) {
  const i = argv.indexOf('--stack');
  const v =
    i >= 0 ? argv[i + 1] : (argv.find((a) => a.startsWith('--stack='))?.slice(8) ?? 'embedded');
  if (!['embedded', 'pg-s3', 'pg'].includes(v))
    throw new Error(`--stack: expected embedded, pg-s3 or pg, got ${v}`);
  return v;
}

/** What a stack is, for the reports. */
export function stackLabel(stack) {
  if (stack === 'pg-s3') return 'PostgreSQL + s3rver + Redis';
  if (stack === 'pg') return 'PostgreSQL + Redis + local disk';
  return 'SQLite + local disk';
}

/**
 * `--stack pg` (`{ s3: false }`): PostgreSQL and Redis, blobs on local disk (the database's share
 * of the figures, without s3rver's: it is a test server, slow at thousands of objects).
 */
export async function startPgS3({ s3: withS3 = true } = {}) {
  const pgUrl = process.env.BENCH_PG || 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.BENCH_REDIS || 'redis://127.0.0.1:6379';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-bench-s3-'));
  // In its own thread (its own event loop, as a real S3 is elsewhere), with ListParts,
  // AbortMultipartUpload and UploadPartCopy added (tus uploads on S3 need them).
  const s3 = await startS3rverThread(dir);
  const { port } = s3;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const schemas = [];
  return {
    pgUrl,
    /** How to reach s3rver directly (the ceiling of `bench/lib/ceiling.mjs`); null on `pg`. */
    s3: withS3
      ? {
          endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        }
      : null,
    /** A new empty bucket (removed with s3rver's directory at the end). */
    async newBucket() {
      const bucket = `ceiling-${randomBytes(5).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    /** Environment for one Stowage start: its own schema and bucket. */
    async envForNewServer() {
      const name = `bench_${randomBytes(5).toString('hex')}`;
      schemas.push(name);
      if (!withS3) {
        return {
          STOWAGE_DATABASE_URL: pgUrl,
          STOWAGE_DATABASE_SCHEMA: name,
          STOWAGE_REDIS_URL: redisUrl,
        };
      }
      await client.send(new CreateBucketCommand({ Bucket: name.replace('_', '-') }));
      return {
        STOWAGE_DATABASE_URL: pgUrl,
        STOWAGE_DATABASE_SCHEMA: name,
        STOWAGE_STORAGE: 's3',
        STOWAGE_S3_BUCKET: name.replace('_', '-'),
        STOWAGE_S3_ENDPOINT: endpoint,
        STOWAGE_S3_FORCE_PATH_STYLE: 'true',
        STOWAGE_S3_CHECKSUMS: 'when_required',
        STOWAGE_REDIS_URL: redisUrl,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      };
    },
    async stop() {
      const db = new pg.Client({ connectionString: pgUrl });
      await db.connect();
      for (const s of schemas) await db.query(`drop schema if exists "${s}" cascade`);
      await db.end();
      // The servers' Redis keys (rate limits, per-client counting marks) live under their schema.
      const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      for (const s of schemas) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `stowage:${s}:*`, 'COUNT', 1000);
          if (keys.length) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      await redis.quit();
      client.destroy();
      await s3.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
