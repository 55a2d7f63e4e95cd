import type { Readable } from 'node:stream';

/** A blob's scan result, as stored with the blob (`blobs.scan_status`). */
export type ScanStatus = 'clean' | 'infected' | 'error' | 'unscanned';

/** What the scanner said about one stream of bytes. */
export type ScanVerdict =
  | { status: 'clean' }
  | { status: 'infected'; signature: string }
  /** The scanner would not take it all (clamd's StreamMaxLength, MaxFileSize...): never clean. */
  | { status: 'unscanned'; reason: string }
  /** The scanner answered with an error of its own, or the scan broke off (retried later). */
  | { status: 'error'; reason: string };

/** The scanner cannot be reached at all (not listening, refused): the scan waits, nothing is stored. */
export class ScannerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScannerUnavailable';
  }
}

/**
 * Port: a virus scanner (adapter: clamd over its socket, src/scan/). `scan` consumes the stream
 * at the scanner's pace (backpressure) and destroys it when it stops early. It rejects with
 * ScannerUnavailable (nothing was scanned; try again when the scanner is back), with the error of
 * `bytes` (the blob could not be read), or on abort; what the scanner said is a verdict.
 */
export interface VirusScanner {
  scan(bytes: Readable, signal?: AbortSignal): Promise<ScanVerdict>;
  /** The engine's version string (stored with each result), e.g. `ClamAV 1.4.6/27000/...`. */
  version(): Promise<string>;
  /** A cheap round trip (readiness, and before a catch-up sweep): rejects when unreachable. */
  ping(): Promise<void>;
}
