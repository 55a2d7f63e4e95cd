import { Readable } from 'node:stream';
import type { Config } from '../config.js';
import { INLINE_LOCATION, type BlobStore } from '../core/blob-store.js';
import type { FileService } from '../core/files.js';
import type { LockRepository } from '../core/leased-job.js';
import type { FileRepository } from '../core/records.js';
import { ScanService, ScanSweep, type VirusScanner } from '../core/scanning/index.js';
import type { Db } from '../storage/db.js';
import type { Telemetry } from '../core/telemetry.js';
import { KyselyScanRepository } from '../storage/scan-repository.js';
import { ClamdScanner } from './clamd.js';

export { ClamdScanner } from './clamd.js';

export interface Scanning {
  service: ScanService;
  sweep: ScanSweep;
  scanner: VirusScanner;
  close(): Promise<void>;
}

/**
 * Virus scanning wired up (null when STOWAGE_CLAMAV is unset): clamd as the scanner, blobs read
 * from the store (or their row, for small ones), every stored file's blob queued, results dropping
 * the files' cached records, and the catch-up sweep (serving processes only: `sweep`).
 */
export function createScanning(
  config: Config,
  deps: {
    db: Db;
    blobs: BlobStore;
    fileRepo: FileRepository;
    files: FileService;
    locks: LockRepository;
    /** Listen to uploads and run the catch-up sweep (serving processes; not the CLI). */
    serve: boolean;
    now?: () => number;
    onError?: (err: unknown) => void;
    telemetry?: Telemetry;
    /** Replace the scanner (tests). */
    scanner?: VirusScanner;
  },
): Scanning | null {
  if (!config.clamav) return null;
  const scanner =
    deps.scanner ?? new ClamdScanner(config.clamav, { timeoutMs: config.clamavTimeoutMs });
  const repo = new KyselyScanRepository(deps.db);
  const service = new ScanService(
    repo,
    scanner,
    async (blob) => {
      if (blob.location !== INLINE_LOCATION) return deps.blobs.get(blob.location);
      const bytes = await deps.fileRepo.readInlineBlob(blob.key);
      if (!bytes) throw new Error('the blob row has no bytes');
      return Readable.from([bytes]);
    },
    {
      concurrency: config.clamavConcurrency,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.onError ? { onError: deps.onError } : {}),
      ...(deps.telemetry ? { telemetry: deps.telemetry } : {}),
    },
  );
  // A result changes what the blob's files answer: drop their cached records here.
  service.onResult((key) => {
    void repo.fileIdsOf(key, 10_000).then(
      (ids) => ids.forEach((id) => deps.files.forget(id)),
      () => {},
    );
  });
  const sweep = new ScanSweep(service, repo, deps.locks, {
    intervalMs: deps.serve ? config.clamavSweepMs : 0,
    retryMs: config.clamavRetryMs,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  if (deps.serve) {
    deps.files.listen({ stored: (f) => service.stored(f) });
    sweep.start();
  }
  return {
    service,
    sweep,
    scanner,
    close: async () => {
      await sweep.stop();
      await service.close();
    },
  };
}
