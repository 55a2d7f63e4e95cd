import { Readable } from 'node:stream';
import type { BlobStore } from '../blob-store.js';
import type { MediaInput, MediaLimits, MediaRepository, MediaToolkit } from '../media-ports.js';
import type { FileRecord } from '../records.js';
import type { MediaJobs } from './jobs.js';
import type { MediaLogger, MediaOptions } from './types.js';

/** What the parts of the media layer share (built once by MediaService). */
export interface MediaContext {
  readonly blobs: BlobStore;
  readonly repo: MediaRepository;
  readonly tools: LazyToolkit;
  readonly jobs: MediaJobs;
  readonly opts: MediaOptions;
  readonly now: () => number;
  /** The logger of the moment (MediaService.useLogger replaces it). */
  log(): MediaLogger;
  /** Whether MediaService.close has been called. */
  closed(): boolean;
  /** The pixel and time limits of a job, aborted with it. */
  limits(signal: AbortSignal): MediaLimits;
  /** The file's content as the toolkit reads it. */
  inputOf(file: FileRecord): Promise<MediaInput>;
}

/** The toolkit, loaded on first need (the CLI never loads image libraries); retried after a failure. */
export class LazyToolkit {
  private pending: Promise<MediaToolkit> | null = null;
  /** Set once the toolkit has loaded (synchronous checks on the hot paths). */
  loaded: MediaToolkit | null = null;

  constructor(private readonly loadTools: () => Promise<MediaToolkit>) {}

  load(): Promise<MediaToolkit> {
    if (!this.pending) {
      this.pending = this.loadTools().then((t) => (this.loaded = t));
      this.pending.catch(() => (this.pending = null));
    }
    return this.pending;
  }
}

/** Bytes in memory as a toolkit input. */
export function bytesInput(data: Buffer, mimeType: string): MediaInput {
  return {
    size: data.length,
    mimeType,
    path: null,
    bytes: data,
    open: async () => Readable.from([data]),
  };
}
