import type { Readable } from 'node:stream';
import { JobQueue, JobRejected } from '../job-queue.js';
import type { Telemetry } from '../telemetry.js';
import type { FileRecord } from '../records.js';
import type { BlobToScan, ScanRepository, ScanResult } from './records.js';
import {
  ScannerUnavailable,
  type ScanStatus,
  type ScanVerdict,
  type VirusScanner,
} from './scanner.js';

export interface ScanServiceOptions {
  /** Scans at once in this process. */
  concurrency: number;
  /** How long a claim on a blob lasts (a node that dies mid-scan frees it then); default 1 h. */
  claimMs?: number;
  now?: () => number;
  /** Errors of background scans (logged by the caller). */
  onError?: (err: unknown) => void;
  /** Where scan outcomes are counted (`virus_scan`). */
  telemetry?: Telemetry;
}

/** The bytes of a blob, streamed from wherever the store keeps them (disk, S3, the row). */
export type OpenBlob = (blob: BlobToScan) => Promise<Readable>;

/** What the rest of the process hears about a stored result (drop cached file records). */
export type ScanListener = (key: string, result: ScanResult) => void;

/** Where the service says what happened (the server's logger). */
export interface ScanLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const SILENT: ScanLogger = { info() {}, warn() {}, error() {} };

/** What a scan in this process did, for tests and the CLI. */
export interface ScanCounts {
  /** Streams handed to the scanner. */
  scans: number;
  /** Scans that could not start: the scanner was unreachable (the blob waits). */
  deferred: number;
}

/** Where a rescan (`stowage scan`) is. */
export interface RescanProgress {
  done: number;
  total: number;
  bytes: number;
  byStatus: Record<ScanStatus, number>;
}

/**
 * Scans blobs once per content (SHA-256), off the request path: a stored file queues a scan of its
 * blob (background jobs, bounded concurrency); the blob row is claimed first (ScanRepository), so
 * the same bytes uploaded twice, or on two nodes, are scanned once. The result goes into the blob
 * row and the files' cached records here are dropped (other nodes' caches live ~1 s). If the
 * scanner cannot be reached the claim is given back and the catch-up sweep (ScanSweep) retries.
 */
export class ScanService {
  readonly counts: ScanCounts = { scans: 0, deferred: 0 };
  private readonly queue: JobQueue;
  /** Keys queued or running here (one job per blob per process). */
  private readonly pending = new Set<string>();
  private readonly listeners: ScanListener[] = [];
  private readonly now: () => number;
  private engine: { version: string; at: number } | null = null;
  private log: ScanLogger = SILENT;
  /** Whether the last attempt reached the scanner (a change is logged once). */
  private reached = true;

  constructor(
    private readonly repo: ScanRepository,
    private readonly scanner: VirusScanner,
    private readonly open: OpenBlob,
    private readonly opts: ScanServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.queue = new JobQueue(opts.concurrency);
  }

  /** Log infected and failed scans, and the scanner going away and coming back. */
  useLogger(log: ScanLogger): void {
    this.log = log;
  }

  /** Called with each result stored by this process. */
  onResult(listener: ScanListener): void {
    this.listeners.push(listener);
  }

  /** A file was stored: scan its blob unless it has a result already. Never throws. */
  stored(file: Pick<FileRecord, 'blobKey' | 'scanStatus'>): void {
    if (!file.scanStatus) this.enqueue(file.blobKey);
  }

  /** Queue a first scan of this blob (no-op if it is queued here already). */
  enqueue(key: string): Promise<void> {
    if (this.pending.has(key)) return Promise.resolve();
    this.pending.add(key);
    return this.queue
      .run(async (signal) => {
        await this.scanFirst(key, signal);
      }, 'background')
      .catch((err: unknown) => {
        if (err instanceof JobRejected) return;
        this.log.error({ err, blob: key }, 'virus scan: failed');
        this.opts.onError?.(err);
      })
      .finally(() => this.pending.delete(key));
  }

  /** Whether the scanner answers now. */
  async reachable(): Promise<boolean> {
    return this.scanner.ping().then(
      () => true,
      () => false,
    );
  }

  /** Resolves once nothing is queued or running here. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Claim, scan and record a blob with no result; null if there was nothing to do here. */
  private async scanFirst(key: string, signal: AbortSignal): Promise<ScanResult | null> {
    const now = this.now();
    const blob = await this.repo.claim(key, now, now + (this.opts.claimMs ?? 3_600_000));
    if (!blob) return null;
    let result: ScanResult;
    try {
      result = await this.scanBlob(blob, signal);
    } catch (err) {
      // Unreachable scanner, or shutting down: the blob waits for the sweep.
      await this.repo.release(key);
      if (err instanceof ScannerUnavailable) {
        if (this.reached)
          this.log.warn({ err: err.message }, 'virus scan: clamd cannot be reached; scans wait');
        this.reached = false;
        this.counts.deferred++;
        this.opts.telemetry?.event('virus_scan', { status: 'unavailable' });
        return null;
      }
      throw err;
    }
    if (await this.repo.record(key, result, true)) this.announce(key, result);
    return result;
  }

  /**
   * Scan a blob again whatever it had (`stowage scan`): the result replaces the old one. Rejects
   * with ScannerUnavailable when the scanner cannot be reached.
   */
  async rescan(blob: BlobToScan, signal?: AbortSignal): Promise<ScanResult> {
    const result = await this.queue.run((s) => this.scanBlob(blob, signal ?? s), 'interactive');
    if (await this.repo.record(blob.key, result, false)) this.announce(blob.key, result);
    return result;
  }

  /**
   * Scan stored blobs again (`stowage scan`: signatures changed): all of them (`before` null), or
   * those with no result or scanned before `before` (epoch ms). `concurrency` at a time, in key
   * order; rejects with ScannerUnavailable if the scanner cannot be reached (checked first).
   */
  async rescanStored(opts: {
    before: number | null;
    onProgress?: (p: RescanProgress) => void;
  }): Promise<RescanProgress> {
    await this.scanner.ping();
    const { count } = await this.repo.countForRescan(opts.before);
    const p: RescanProgress = {
      done: 0,
      total: count,
      bytes: 0,
      byStatus: { clean: 0, infected: 0, error: 0, unscanned: 0 },
    };
    opts.onProgress?.(p);
    let after: string | null = null;
    for (;;) {
      const page = await this.repo.listForRescan(opts.before, after, 100);
      if (page.length === 0) return p;
      after = page[page.length - 1]!.key;
      await Promise.all(
        page.map(async (blob) => {
          const r = await this.rescan(blob);
          p.done++;
          p.bytes += blob.size;
          p.byStatus[r.status]++;
          opts.onProgress?.(p);
        }),
      );
    }
  }

  private announce(key: string, result: ScanResult): void {
    if (result.status === 'infected')
      this.log.warn({ blob: key, signature: result.signature }, 'virus scan: infected');
    else if (result.status !== 'clean')
      this.log.info(
        { blob: key, status: result.status, reason: result.signature },
        `virus scan: ${result.status}`,
      );
    for (const l of this.listeners) {
      try {
        l(key, result);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** One pass of the scanner over a blob's bytes. ScannerUnavailable when it cannot be reached. */
  private async scanBlob(blob: BlobToScan, signal: AbortSignal): Promise<ScanResult> {
    // Known to be away: ask before opening the blob (no S3 GET started for nothing).
    if (!this.reached) await this.scanner.ping();
    const engine = await this.engineVersion();
    if (!this.reached) this.log.info({ engine }, 'virus scan: clamd is back');
    this.reached = true;
    let verdict: ScanVerdict;
    try {
      const bytes = await this.open(blob);
      this.counts.scans++;
      verdict = await this.scanner.scan(bytes, signal);
    } catch (err) {
      if (err instanceof ScannerUnavailable || signal.aborted) throw err;
      // The blob could not be read: an error result, tried again later.
      verdict = { status: 'error', reason: `reading the blob failed: ${(err as Error).message}` };
    }
    this.opts.telemetry?.event('virus_scan', { status: verdict.status });
    return {
      status: verdict.status,
      signature:
        verdict.status === 'infected'
          ? verdict.signature
          : verdict.status === 'clean'
            ? null
            : verdict.reason.slice(0, 500),
      engine,
      at: this.now(),
    };
  }

  /** The engine's version, asked again every 10 minutes (signature updates change it). */
  private async engineVersion(): Promise<string> {
    const now = this.now();
    if (this.engine && now - this.engine.at < 600_000) return this.engine.version;
    const version = await this.scanner.version();
    this.engine = { version, at: now };
    return version;
  }

  /** Refuse what is queued and wait for running scans (their claims are given back). */
  close(): Promise<void> {
    return this.queue.close();
  }
}
