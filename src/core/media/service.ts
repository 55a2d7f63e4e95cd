import { INLINE_LOCATION, type BlobStore } from '../blob-store.js';
import type { FileService } from '../files.js';
import type {
  MediaCapabilities,
  MediaInput,
  MediaLimits,
  MediaRepository,
  MediaToolkit,
  RenderedImage,
} from '../media-ports.js';
import { iconCategoryOf, mediaKindOf } from '../media-type.js';
import type { FileRecord } from '../records.js';
import { DerivedCleanup } from './cleanup.js';
import { bytesInput, LazyToolkit, type MediaContext } from './context.js';
import { DerivedCache } from './derived-cache.js';
import { MediaJobs } from './jobs.js';
import { MetadataExtraction } from './metadata.js';
import { Renderings } from './renderings.js';
import { thumbnailSize } from './thumbnail-size.js';
import {
  SILENT,
  type DerivedImage,
  type DerivedVariant,
  type MediaLogger,
  type MediaMetadata,
  type MediaOptions,
  type Thumbnail,
} from './types.js';

/**
 * The media layer: metadata extracted once per content in the background, thumbnails and derived
 * images rendered on demand and cached in the blob store, icons when nothing can be rendered.
 * Every decode goes through one bounded queue, under pixel and time limits. Its parts:
 * MetadataExtraction, Renderings, DerivedCache, DerivedCleanup, MediaJobs.
 */
export class MediaService {
  private log: MediaLogger = SILENT;
  private closed = false;
  private readonly ctx: MediaContext;
  private readonly jobs: MediaJobs;
  private readonly tools: LazyToolkit;
  private readonly meta: MetadataExtraction;
  private readonly cache: DerivedCache;
  private readonly renderings: Renderings;
  private readonly cleanup: DerivedCleanup;

  /** `loadTools` runs once, on first need (the CLI never loads image libraries). */
  constructor(
    private readonly files: FileService,
    private readonly blobs: BlobStore,
    repo: MediaRepository,
    loadTools: () => Promise<MediaToolkit>,
    private readonly opts: MediaOptions,
  ) {
    this.jobs = new MediaJobs(opts.concurrency, opts.maxQueued ?? 10_000);
    this.tools = new LazyToolkit(loadTools);
    this.ctx = {
      blobs,
      repo,
      tools: this.tools,
      jobs: this.jobs,
      opts,
      now: opts.now ?? Date.now,
      log: () => this.log,
      closed: () => this.closed,
      limits: (signal) => this.limits(signal),
      inputOf: (file) => this.inputOf(file),
    };
    this.meta = new MetadataExtraction(this.ctx);
    this.cache = new DerivedCache(this.ctx);
    this.renderings = new Renderings(this.ctx, this.cache);
    this.cleanup = new DerivedCleanup(this.ctx);
    files.listen({
      stored: (file) => this.meta.stored(file),
      blobReleased: (key) => this.onBlobReleased(key),
    });
  }

  useLogger(log: MediaLogger): void {
    this.log = log;
  }

  /** Load the tools (sharp, the programs found) and say what is there. */
  async ready(): Promise<MediaCapabilities> {
    return (await this.tools.load()).capabilities;
  }

  /**
   * The file's metadata, extracting it now (waiting for it) if that has not happened yet. Never
   * throws for content that cannot be decoded: that is status 'failed' with the reason.
   */
  metadata(file: FileRecord): Promise<MediaMetadata> {
    return this.meta.metadata(file);
  }

  // -------------------------------------------------------------------------------------------
  // thumbnails (pixeldrain) and derived images (Chevereto)

  /**
   * Validate a requested thumbnail box: absent means 256; otherwise a multiple of 16 from 16 to
   * 256. Anything else is invalid_thumbnail_size.
   */
  thumbnailSize(width?: string | number, height?: string | number): { w: number; h: number } {
    return thumbnailSize(width, height);
  }

  /** The ETag a rendered thumbnail of this file has (answer 304 before rendering anything). */
  thumbnailEtag(file: FileRecord, w: number, h: number): string {
    return `"t1-${file.blobKey}-${w}x${h}"`;
  }

  /**
   * A PNG fitting in w × h (aspect kept, never enlarged), rendered once per content and size and
   * kept in the blob store; a mime-type icon of exactly w × h when none can be made.
   */
  async thumbnail(file: FileRecord, w: number, h: number): Promise<Thumbnail> {
    this.thumbnailSize(w, h);
    const variant = `thumb${w}x${h}.png`;
    const img = await this.renderings.rendered(file, variant, {
      format: 'png',
      width: w,
      height: h,
      fit: 'inside',
      enlarge: false,
    });
    if (img) return { data: img.data, etag: this.thumbnailEtag(file, w, h), icon: false };
    const category = iconCategoryOf(file.mimeType);
    return {
      data: await this.renderings.icon(category, w, h),
      etag: `"i1-${category}-${w}x${h}"`,
      icon: true,
    };
  }

  /**
   * Chevereto's companion images, JPEG: `thumb` (a square, cropped to fill), `medium` (only for
   * originals wider than the medium width) and, for videos, `frame` (one frame, full size; the
   * thumb and medium of a video are made from it). Null when not applicable or not possible.
   */
  async derived(file: FileRecord, variant: DerivedVariant): Promise<DerivedImage | null> {
    const kind = mediaKindOf(file.mimeType);
    if (kind !== 'image' && kind !== 'video') return null;
    let img: RenderedImage | null;
    let name: string;
    if (variant === 'frame') {
      if (kind !== 'video') return null;
      name = 'frame.jpg';
      img = await this.renderings.interactive(file, name, (signal) =>
        this.renderings.frameOf(file, signal),
      );
    } else if (variant === 'thumb') {
      const side = this.opts.thumbSize;
      name = `chv-thumb${side}.jpg`;
      img = await this.renderings.rendered(file, name, {
        format: 'jpeg',
        width: side,
        height: side,
        fit: 'cover',
        enlarge: true,
      });
    } else {
      const width = this.opts.mediumWidth;
      const meta = await this.metadata(file);
      if (meta.status !== 'done' || meta.width === null || meta.width <= width) return null;
      name = `chv-medium${width}.jpg`;
      img = await this.renderings.rendered(file, name, {
        format: 'jpeg',
        width,
        height: Math.max(1, Math.round(((meta.height ?? width) * width) / meta.width)),
        fit: 'inside',
        enlarge: false,
      });
    }
    if (!img) return null;
    return {
      variant,
      mimeType: 'image/jpeg',
      data: img.data,
      width: img.width,
      height: img.height,
      etag: `"d1-${file.blobKey}-${name}"`,
    };
  }

  /** Whether stills of this file's type can be decoded here (images only; FileBin's rule). */
  async canThumbnailImage(mimeType: string): Promise<boolean> {
    if (mediaKindOf(mimeType) !== 'image') return false;
    return (await this.tools.load()).image.canDecode(mimeType);
  }

  /**
   * A side × side JPEG of an image, cropped to fill (FileBin's 150×150 thumbnail), rendered once
   * per content and cached like the others; null for other types or when decoding fails.
   */
  async squareJpeg(file: FileRecord, side: number): Promise<Buffer | null> {
    if (!(await this.canThumbnailImage(file.mimeType))) return null;
    const img = await this.renderings.rendered(file, `square${side}.jpg`, {
      format: 'jpeg',
      width: side,
      height: side,
      fit: 'cover',
      enlarge: true,
    });
    return img?.data ?? null;
  }

  /**
   * The image scaled down to `width` (height keeping the ratio), in its own format where the
   * toolkit writes it (JPEG, PNG, WebP; other still formats become PNG), for an upload asked to be
   * stored resized. Null when it does not apply: not a decodable still image, animated, or not
   * wider than `width`.
   */
  async resized(
    file: FileRecord,
    width: number,
  ): Promise<{
    data: Buffer;
    format: 'png' | 'jpeg' | 'webp';
    width: number;
    height: number;
  } | null> {
    const meta = await this.metadata(file);
    if (meta.kind !== 'image' || meta.status !== 'done' || meta.animated) return null;
    if (meta.width === null || meta.height === null || meta.width <= width) return null;
    const type = file.mimeType.split(';')[0]!.trim().toLowerCase();
    const format = type === 'image/jpeg' ? 'jpeg' : type === 'image/webp' ? 'webp' : 'png';
    const tools = await this.tools.load();
    const height = Math.max(1, Math.round((meta.height * width) / meta.width));
    const img = await this.jobs.queued(
      `${file.blobKey}/resize${width}`,
      'interactive',
      async (signal) =>
        tools.image.render(
          await this.inputOf(file),
          { format, width, height, fit: 'inside', enlarge: false },
          this.limits(signal),
        ),
    );
    return { data: img.data, format, width: img.width, height: img.height };
  }

  // -------------------------------------------------------------------------------------------
  // content gone, start and stop

  private onBlobReleased(blobKey: string): void {
    this.cache.forget(blobKey);
    this.renderings.forget(blobKey);
    this.cleanup.released(blobKey);
  }

  /** Remove derived images whose content is gone (left by a crash). Run once at start. */
  sweep(): void {
    this.cleanup.sweep();
  }

  /** Resolves once no media job is queued or running and background writes are done (tests). */
  idle(): Promise<void> {
    return this.jobs.idle();
  }

  /** Refuse queued jobs, kill running programs, and wait for what is in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.jobs.close();
  }

  private limits(signal: AbortSignal): MediaLimits {
    return { maxPixels: this.opts.maxPixels, timeoutMs: this.opts.timeoutMs, signal };
  }

  private async inputOf(file: FileRecord): Promise<MediaInput> {
    if (file.blobLocation === INLINE_LOCATION) {
      return bytesInput(await this.files.readBytes(file), file.mimeType);
    }
    return {
      size: file.size,
      mimeType: file.mimeType,
      path: this.blobs.localPath?.(file.blobLocation) ?? null,
      open: () => this.files.openStream(file),
    };
  }
}
