import type { Readable } from 'node:stream';
import type { Principal } from './accounts.js';
import type { FileRecord } from './records.js';
import type { Telemetry } from './telemetry.js';

/** The shapes FileService takes and gives (its options, upload input, listeners, upload gate). */

export interface UploadInput {
  body: Readable;
  name: string;
  uploader: Principal | null;
  /** Legacy pixeldrain `anonymous=true`: do not link the file to the uploader's account. */
  anonymous?: boolean;
  /** Refuse empty bodies (multipart POST: `no_file`); raw PUT accepts an empty file. */
  rejectEmpty?: boolean;
  /** Id length, uniform in [min, max] (FileBin-style ids); default 8. */
  idLength?: IdLength;
  /** Epoch ms from which the file is no longer served (and is then swept); null/absent = never. */
  expiresAt?: number | null;
  /**
   * The file expires this long after it is created (its `createdAt`, once the body is stored);
   * wins over `expiresAt`. A lifetime counted from the request's start would be short by the
   * time the body took to arrive.
   */
  expiresInMs?: number | null;
  /** Hand out a delete key even when the upload has an owner (Chevereto's delete_url). */
  withDeleteKey?: boolean;
  /**
   * Called with the detected media type before the file is published; throwing refuses the
   * upload (nothing is stored) with that error.
   */
  accept?: (mimeType: string) => void;
  /** The client address the upload came from (kept for admins' search and anonymous limits). */
  uploaderIp?: string | null;
  /** The quotas already admitted these bytes (a resized copy replacing an admitted upload). */
  admitted?: boolean;
}

/** Length bounds of a generated id (both at most MAX_ID_LENGTH). */
export interface IdLength {
  min: number;
  max: number;
}

export interface UploadResult {
  file: FileRecord;
  /** Only for anonymous uploads: the secret that can delete this file. */
  deleteKey?: string;
}

/**
 * Observers of the file lifecycle (media extraction, thumbnails). Listeners run after the change is
 * durable, never delay the caller and must not throw (errors are their own to log).
 */
export interface FileListeners {
  /** A file was stored (upload, or a copy of an existing file). */
  stored(file: FileRecord): void;
  /** The last file with this content is gone: anything derived from the blob can go too. */
  blobReleased(blobKey: string): void;
}

/**
 * Upload quotas (core/limits QuotaService): asked before the body when its size is declared, and
 * with the real size once the bytes are staged, before the file is published. Throwing refuses.
 */
export interface UploadGate {
  beforeBody(owner: Principal | null, ip: string | null, declared: number | null): Promise<void>;
  admit(owner: Principal | null, ip: string | null, bytes: number): Promise<void>;
}

export interface FileServiceOptions {
  maxFileSize: number;
  allowAnonymousUploads: boolean;
  /** How long metadata may be served from memory. Deletes in this process invalidate at once. */
  cacheTtlMs?: number;
  /** Uploads up to this many bytes are kept in the metadata (default 16 KiB; 0 = never). */
  inlineMaxBytes?: number;
  /** Answer downloads with a redirect to the blob store (STOWAGE_S3_REDIRECT), where it can. */
  redirectDownloads?: boolean;
  now?: () => number;
  /** Where the active-uploads gauge goes (bodies being staged now). */
  telemetry?: Telemetry;
  /**
   * Checks the content's SHA-256 once the bytes are staged (moderation: blocked hashes);
   * throwing refuses the upload, nothing is stored.
   */
  screen?: (sha256: string) => Promise<void>;
}
