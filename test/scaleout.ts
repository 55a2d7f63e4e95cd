import fs from 'node:fs/promises';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import S3rver from 's3rver';
import type { ConfigInput } from '../src/config.js';
import { tempDir } from './helpers.js';
import { extendS3rver } from './s3rver-multipart.js';

/**
 * The scale-out test stack: PostgreSQL (STOWAGE_TEST_PG, default the local server), Redis
 * (STOWAGE_TEST_REDIS, default the local server) and s3rver started here on a free loopback port.
 * Without PostgreSQL or Redis the suites that need them skip with the reason; under CI=true they
 * fail instead.
 */
export const PG_URL = process.env.STOWAGE_TEST_PG || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.STOWAGE_TEST_REDIS || 'redis://127.0.0.1:6379';

async function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Why the scale-out suites cannot run here, or null when they can. Under CI=true: throws. */
export async function scaleOutUnavailable(): Promise<string | null> {
  const missing: string[] = [];
  if (!(await reachable(PG_URL))) missing.push(`PostgreSQL at ${PG_URL} (STOWAGE_TEST_PG)`);
  if (!(await reachable(REDIS_URL))) missing.push(`Redis at ${REDIS_URL} (STOWAGE_TEST_REDIS)`);
  if (missing.length === 0) return null;
  const reason = `scale-out tests need ${missing.join(' and ')}`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true they must run`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

/** s3rver on a free loopback port, its bucket in a temp dir. */
export async function startS3(bucket = 'stowage'): Promise<{
  endpoint: string;
  bucket: string;
  dir: string;
  /** Stop serving at once (connections dropped), keeping the bucket's files (fault tests). */
  halt(): Promise<void>;
  /** Serve the same bucket again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}> {
  const dir = await tempDir('stowage-s3-');
  const make = (port: number) => {
    const s = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: bucket }],
    });
    // ListParts, AbortMultipartUpload, UploadPartCopy (tus uploads on S3 need them).
    extendS3rver(s, dir);
    return s;
  };
  let server: S3rver | null = make(0);
  const addr = (await server.run()) as { address: string; port: number };
  // The SDK's default credential chain reads these; s3rver accepts its own fixed key pair.
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  // Abruptly, like a crash: requests in flight lose their connection too.
  const halt = async () => {
    const s = server;
    server = null;
    if (!s) return;
    const closed = s.close();
    s.httpServer?.closeAllConnections();
    await closed;
  };
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    bucket,
    dir,
    halt,
    resume: async () => {
      if (server) return;
      server = make(addr.port);
      await server.run();
    },
    stop: async () => {
      await halt();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ScaleOutStack {
  /** Config values for a server on this stack (loadConfig input). */
  config: ConfigInput;
  /** The same as STOWAGE_* environment variables, for child processes and the CLI. */
  env: Record<string, string>;
  schema: string;
  s3: Awaited<ReturnType<typeof startS3>>;
  /** Drop the schema, the Redis keys and the bucket. */
  cleanup(): Promise<void>;
}

/** A fresh PostgreSQL schema, s3rver bucket and Redis key space for one test file or server. */
export async function scaleOutStack(): Promise<ScaleOutStack> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const s3 = await startS3();
  const config: ConfigInput = {
    databaseUrl: PG_URL,
    databaseSchema: schema,
    databasePoolSize: 5,
    storage: 's3',
    s3Bucket: s3.bucket,
    s3Endpoint: s3.endpoint,
    s3ForcePathStyle: true,
    // s3rver does not know the SDK's newer default checksums (tests only; see the README).
    s3Checksums: 'when_required',
    redisUrl: REDIS_URL,
  };
  const env: Record<string, string> = {
    STOWAGE_DATABASE_URL: PG_URL,
    STOWAGE_DATABASE_SCHEMA: schema,
    STOWAGE_DATABASE_POOL_SIZE: '5',
    STOWAGE_STORAGE: 's3',
    STOWAGE_S3_BUCKET: s3.bucket,
    STOWAGE_S3_ENDPOINT: s3.endpoint,
    STOWAGE_S3_FORCE_PATH_STYLE: 'true',
    STOWAGE_S3_CHECKSUMS: 'when_required',
    STOWAGE_REDIS_URL: REDIS_URL,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
  return {
    config,
    env,
    schema,
    s3,
    cleanup: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
      const redis = new Redis(REDIS_URL);
      try {
        const keys = await redis.keys(`stowage:${schema}:*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
      await s3.stop();
    },
  };
}

/** Run the suites on this stack (`STOWAGE_TEST_STACK=scaleout npm test -- <files>`). */
export const ON_SCALE_OUT = process.env.STOWAGE_TEST_STACK === 'scaleout';
