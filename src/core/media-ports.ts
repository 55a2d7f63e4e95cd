import type { Readable } from 'node:stream';

/**
 * Ports of the media layer. The core decides *what* to extract and render and caches the results;
 * the adapters (src/media/: sharp, ffmpeg, pdftoppm, icons) know *how*. Nothing here names a
 * library or a program.
 */

/** What a stored file is, as far as media processing goes (from its detected type). */
export type MediaKind = 'image' | 'video' | 'audio' | 'pdf' | 'other';

/** The icon families drawn when no thumbnail can be made. */
export type IconCategory =
  'image' | 'video' | 'audio' | 'text' | 'archive' | 'pdf' | 'document' | 'generic';

/** The bytes to decode, as the decoders want them. */
export interface MediaInput {
  readonly size: number;
  readonly mimeType: string;
  /** A local file holding exactly these bytes (the blob itself on local disk), or null. */
  readonly path: string | null;
  /** The bytes, when they are already in memory (small blobs, rendered frames). */
  readonly bytes?: Buffer;
  open(): Promise<Readable>;
}

/** Limits every decode runs under. */
export interface MediaLimits {
  /** Largest width × height a decoder may allocate (decompression bombs are refused). */
  maxPixels: number;
  /** Wall-clock limit of one operation; external programs are killed past it. */
  timeoutMs: number;
  /** Aborted when the service closes: running programs are killed. */
  signal: AbortSignal;
}

export interface ImageFacts {
  /** As displayed (after the EXIF orientation). */
  width: number;
  height: number;
  animated: boolean;
  /** EXIF DateTimeOriginal (or DateTime), epoch ms; null when absent. */
  takenAt: number | null;
}

export interface AvFacts {
  durationMs: number | null;
  /** Of the first video stream, as displayed; null for audio. */
  width: number | null;
  height: number | null;
}

export interface RenderSpec {
  /** webp: for resizing WebP uploads in their own format (thumbnails are png or jpeg). */
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
  /** inside: the whole image within the box, aspect kept; cover: fill the box, cropping the excess. */
  fit: 'inside' | 'cover';
  /** Whether a smaller image is scaled up (never for `inside` thumbnails). */
  enlarge: boolean;
}

export interface RenderedImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Still images (sharp/libvips in the default toolkit). */
export interface ImageRenderer {
  /** Can this type be decoded? */
  canDecode(mimeType: string): boolean;
  probe(input: MediaInput, limits: MediaLimits): Promise<ImageFacts>;
  /** The first frame, auto-oriented, resized by `spec`. */
  render(input: MediaInput, spec: RenderSpec, limits: MediaLimits): Promise<RenderedImage>;
}

/** Audio and video (ffprobe/ffmpeg). */
export interface AvTool {
  probe(input: MediaInput, limits: MediaLimits): Promise<AvFacts>;
  /** One frame as PNG, at about `atMs` (the first one if the video is shorter); null: no video stream. */
  frame(input: MediaInput, atMs: number, limits: MediaLimits): Promise<Buffer | null>;
}

/** Documents (pdftoppm). */
export interface PdfRasterizer {
  /** The first page as PNG, its longer side `maxSide` pixels. */
  firstPage(input: MediaInput, maxSide: number, limits: MediaLimits): Promise<Buffer>;
}

export interface IconSet {
  /** A PNG of exactly width × height. */
  icon(category: IconCategory, width: number, height: number): Promise<Buffer>;
}

/** What was found at start (startup log, GET /api/health). */
export interface MediaCapabilities {
  images: { library: string; version: string; formats: string[] } | null;
  ffmpeg: string | null;
  ffprobe: string | null;
  pdftoppm: string | null;
}

/** The adapters, as found on this machine: missing programs are null. */
export interface MediaToolkit {
  image: ImageRenderer;
  /** Probing needs ffprobe, frames need ffmpeg: null when the program is missing. */
  av: { probe: AvTool['probe'] | null; frame: AvTool['frame'] | null };
  pdf: PdfRasterizer | null;
  icons: IconSet;
  capabilities: MediaCapabilities;
}

// ---------------------------------------------------------------------------------------------
// Metadata port

export type MediaStatus = 'done' | 'failed';

/** Extracted once per content (keyed by blob hash: identical bytes, identical metadata). */
export interface MediaRecord {
  blobKey: string;
  kind: MediaKind;
  status: MediaStatus;
  width: number | null;
  height: number | null;
  animated: boolean;
  durationMs: number | null;
  takenAt: number | null;
  /** Why extraction failed (status 'failed'). */
  error: string | null;
  updatedAt: number;
}

/** A rendered image kept in the blob store (thumbnails, Chevereto thumb/medium/frame). */
export interface DerivedRecord {
  blobKey: string;
  /** e.g. `thumb256x256.png`, `chv-thumb160.jpg`, `frame.jpg`. */
  variant: string;
  location: string;
  size: number;
  width: number;
  height: number;
  createdAt: number;
}

export interface MediaRepository {
  getMedia(blobKey: string): Promise<MediaRecord | null>;
  /** Insert or replace; false (nothing written) when the blob no longer exists. */
  saveMedia(rec: MediaRecord): Promise<boolean>;
  getDerived(blobKey: string, variant: string): Promise<DerivedRecord | null>;
  /**
   * Record a derived image unless the blob is gone (then null) or the same variant was recorded
   * first by someone else (then that record, with its own location).
   */
  insertDerived(rec: DerivedRecord): Promise<DerivedRecord | null>;
  /** Forget one derived record (its stored object went missing). */
  deleteDerived(blobKey: string, variant: string, location: string): Promise<void>;
  /**
   * The blobs are gone: delete their media rows and derived records (of those not stored again
   * meanwhile); returns the locations to delete.
   */
  releaseBlobs(blobKeys: readonly string[]): Promise<string[]>;
  /** Derived records whose blob is gone (left by a crash), deleted; returns their locations. */
  sweepOrphans(limit: number): Promise<string[]>;
}
