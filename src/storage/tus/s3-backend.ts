import type { Locker } from '@tus/utils';
import type { Config } from '../../config.js';
import type { ResumableBytes } from '../../core/resumable/records.js';
import type { Db } from '../db.js';
import type { TusBackend } from './backend.js';
import { DatabaseLocker } from './db-locker.js';
import { RedisLocker } from './redis-locker.js';
import { RedisMetadataCache, S3TusStore } from './s3-tus-store.js';

/** Uploads in the bucket with no row this long after their creation are leftovers. */
const ORPHAN_AGE_MS = 3_600_000;

export interface S3TusBackend extends TusBackend {
  bytes: ResumableBytes;
  store: S3TusStore;
  /** Remove uploads the bucket holds that no row knows (a remove that failed, a crash). */
  sweepOrphans(known: (id: string) => Promise<boolean>, now: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The scale-out stack's tus side: @tus/s3-store in the blob bucket (`<prefix>tus/`), the upload
 * metadata cached in Redis and the uploads locked through Redis when it is configured (every node
 * sees the others' locks and release requests), else through the database.
 */
export function s3TusBackend(config: Config, db: Db): S3TusBackend {
  if (!config.s3Bucket) throw new Error('S3 storage without a bucket');
  const ns = `stowage:${config.databaseSchema ?? 'public'}:`;
  let locker: Locker;
  let redisLocker: RedisLocker | null = null;
  let cache: RedisMetadataCache | undefined;
  if (config.redisUrl) {
    redisLocker = new RedisLocker({ url: config.redisUrl, prefix: ns });
    locker = redisLocker;
    cache = new RedisMetadataCache(redisLocker.redis, `${ns}tus:meta:`);
  } else {
    locker = new DatabaseLocker(db);
  }
  const store = new S3TusStore({
    bucket: config.s3Bucket,
    region: config.s3Region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
    prefix: config.s3Prefix,
    checksums: config.s3Checksums,
    ...(cache ? { cache } : {}),
  });
  return {
    datastore: store,
    locker,
    bytes: store,
    store,
    sweepOrphans: async (known, now) => {
      let n = 0;
      for await (const id of store.uploadsBefore(now - ORPHAN_AGE_MS)) {
        if (await known(id)) continue;
        await store.purge(id);
        n++;
      }
      return n;
    },
    close: async () => {
      store.close();
      await redisLocker?.close();
    },
  };
}
