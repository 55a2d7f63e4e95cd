/**
 * Resumable (tus) uploads wired to their adapters (part of the runtime): the core's service and
 * sweep, and what the tus server in the HTTP layer writes bytes through (a DataStore) and locks
 * uploads with (a Locker). The one place that picks them from the configuration.
 */
import path from 'node:path';
import type { Config } from './config.js';
import type { BlobStore } from './core/blob-store.js';
import type { FileService } from './core/files.js';
import { ResumableService, type ResumableBytes } from './core/resumable/index.js';
import { resumableSweep, type ResumableSweep } from './core/resumable/sweep.js';
import type { Db } from './storage/db.js';
import { KyselyLockRepository } from './storage/lock-repository.js';
import { TUS_STAGING } from './storage/local-blob-store.js';
import type { TusBackend } from './storage/tus/backend.js';
import { DatabaseLocker } from './storage/tus/db-locker.js';
import { TusFileStore } from './storage/tus/file-store.js';
import { KyselyResumableRepository } from './storage/tus/upload-repository.js';
import type { S3TusBackend } from './storage/tus/s3-backend.js';

export type { TusBackend } from './storage/tus/backend.js';

/** How often serving processes sweep expired uploads. */
export const TUS_SWEEP_MS = 5 * 60_000;

/**
 * The bytes' side for a configuration: on local disk, @tus/file-store in the staging area (same
 * file system as the blobs: finishing is a rename) and a Locker on the database, which every
 * process of a data dir shares (`--workers`). The scale-out stack (S3) plugs its store and
 * locker in here, loaded only then (@tus/s3-store, the AWS SDK and ioredis cost ~30 MiB of RSS in
 * every process). null: resumable uploads are not available with this store.
 */
export async function tusBackendFor(
  config: Config,
  db: Db,
  custom: boolean,
): Promise<
  (TusBackend & { bytes: ResumableBytes; sweepOrphans?: S3TusBackend['sweepOrphans'] }) | null
> {
  if (config.storage === 'fs' && !custom) {
    const store = new TusFileStore(path.join(config.dataDir, 'staging', TUS_STAGING));
    return { datastore: store, bytes: store, locker: new DatabaseLocker(db) };
  }
  if (config.storage === 's3' && !custom) {
    const { s3TusBackend } = await import('./storage/tus/s3-backend.js');
    return s3TusBackend(config, db);
  }
  return null;
}

export async function createResumable(deps: {
  config: Config;
  db: Db;
  files: FileService;
  blobs: BlobStore;
  /** The blob store was replaced (tests' in-memory double): no tus store for it. */
  customBlobStore: boolean;
  /** How often expired uploads are swept (0 = never on a timer: the CLI, tests). */
  intervalMs: number;
  now?: () => number;
}): Promise<{
  resumable: ResumableService | null;
  tusSweep: ResumableSweep | null;
  tus: TusBackend | null;
}> {
  const backend = await tusBackendFor(deps.config, deps.db, deps.customBlobStore);
  if (!backend) return { resumable: null, tusSweep: null, tus: null };
  const clock = deps.now ? { now: deps.now } : {};
  const repo = new KyselyResumableRepository(deps.db);
  const resumable = new ResumableService(repo, deps.files, deps.blobs, backend.bytes, {
    expiryMs: deps.config.tusExpiryMs,
    maxPending: deps.config.tusMaxPending,
    inlineMax: deps.files.inlineMax,
    ...clock,
  });
  // The same sweep (one node at a time) also clears the bucket of uploads no row knows.
  const sweepOrphans = backend.sweepOrphans;
  const now = deps.now ?? Date.now;
  const sweeper = sweepOrphans
    ? {
        sweep: async (lease: () => Promise<boolean>) => {
          const n = await resumable.sweep(lease);
          if (!(await lease())) return n;
          return n + (await sweepOrphans(async (id) => (await repo.get(id)) !== null, now()));
        },
      }
    : resumable;
  const tusSweep = resumableSweep(sweeper, new KyselyLockRepository(deps.db), {
    intervalMs: deps.intervalMs,
    ...clock,
  });
  tusSweep.start();
  return {
    resumable,
    tusSweep,
    tus: {
      datastore: backend.datastore,
      locker: backend.locker,
      ...(backend.close ? { close: backend.close } : {}),
    },
  };
}
