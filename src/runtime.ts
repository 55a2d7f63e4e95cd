/** The core wired to its embedded adapters; no HTTP here (the CLI and the cluster primary use it alone). */
import type { Config } from './config.js';
import { AccountService } from './core/accounts.js';
import { FileService } from './core/files.js';
import { ListService } from './core/lists.js';
import { MediaService } from './core/media.js';
import type { MediaToolkit } from './core/media-ports.js';
import { defaultMediaToolkit } from './media/index.js';
import type { Core } from './core/index.js';
import { migrate, openSqlite, type Db } from './storage/db.js';
import { KyselyFileRepository } from './storage/file-repository.js';
import { KyselyListRepository } from './storage/list-repository.js';
import { KyselyMediaRepository } from './storage/media-repository.js';
import { LocalBlobStore } from './storage/local-blob-store.js';
import { KyselyUserRepository } from './storage/user-repository.js';
import type { BlobStore } from './core/blob-store.js';

export interface Runtime {
  config: Config;
  core: Core;
  db: Db;
  blobs: BlobStore;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Remove partial uploads left by a crash. Only the serving process does this, never the CLI. */
  cleanStaging: boolean;
  /** Run migrations (serve and `stowage migrate` do; other CLI commands expect a migrated store). */
  migrate: boolean;
  /** Replace the blob store (tests use the in-memory double). */
  blobStore?: BlobStore;
  /** Replace the media tools (tests: programs missing); loaded on first need. */
  mediaTools?: () => Promise<MediaToolkit>;
}

/** Wire the core to the embedded adapters (SQLite + local disk). */
export async function createRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const db = openSqlite(config.dataDir);
  try {
    if (opts.migrate) await migrate(db);
    const blobs = opts.blobStore ?? new LocalBlobStore(config.dataDir);
    await blobs.open({ cleanStaging: opts.cleanStaging });
    const files = new FileService(new KyselyFileRepository(db), blobs, {
      maxFileSize: config.maxFileSize,
      allowAnonymousUploads: config.allowAnonymousUploads,
    });
    const accounts = new AccountService(new KyselyUserRepository(db), {
      registration: config.registration,
    });
    accounts.onDeleteUser((userId) => files.deleteAllOwnedBy(userId));
    const lists = new ListService(new KyselyListRepository(db), {
      allowAnonymous: config.allowAnonymousUploads,
    });
    const media = new MediaService(
      files,
      blobs,
      new KyselyMediaRepository(db),
      opts.mediaTools ?? defaultMediaToolkit,
      {
        concurrency: config.mediaConcurrency,
        maxPixels: config.mediaMaxPixels,
        timeoutMs: config.mediaTimeoutMs,
        thumbSize: config.cheveretoThumbSize,
        mediumWidth: config.cheveretoMediumWidth,
      },
    );
    // The serving process removes derived images a crash left without their content.
    if (opts.cleanStaging) media.sweep();
    return {
      config,
      core: { files, accounts, lists, media },
      db,
      blobs,
      close: async () => {
        await media.close();
        await files.close();
        await blobs.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
