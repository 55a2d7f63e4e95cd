import { Readable } from 'node:stream';
import { INLINE_LOCATION, type BlobStore } from './blob-store.js';
import { CoreError } from './errors.js';
import type { FileService } from './files.js';
import { JobQueue, JobRejected, type JobPriority } from './job-queue.js';
import type {
  DerivedRecord,
  IconCategory,
  MediaCapabilities,
  MediaInput,
  MediaKind,
  MediaLimits,
  MediaRecord,
  MediaRepository,
  MediaToolkit,
  RenderSpec,
  RenderedImage,
} from './media-ports.js';
import { iconCategoryOf, mediaKindOf } from './media-type.js';
import type { FileRecord } from './records.js';

export const THUMBNAIL_DEFAULT = 256;
export const THUMBNAIL_MIN = 16;
export const THUMBNAIL_MAX = 256;
export const THUMBNAIL_STEP = 16;

/** Rendered images kept in memory, keyed by content hash and variant (never stale). */
const MEMORY_CACHE_BYTES = 16 * 1024 * 1024;
/** Longer side of the PDF page rendered once and reused for every thumbnail size. */
const PDF_PAGE_SIDE = 512;
/** Frames are taken this far into a video (a tenth of its length at most): not the black first one. */
const FRAME_AT_MS = 1000;
/** Video frames are kept as JPEG at their own size (the adapter already caps it). */
const FRAME_SPEC: RenderSpec = {
  format: 'jpeg',
  width: 8192,
  height: 8192,
  fit: 'inside',
  enlarge: false,
};
/** Content that failed to render is not tried again on every request (per process, bounded). */
const FAILED_MEMORY = 10_000;
/** Released blobs forgotten per transaction (see MediaService.flushReleased). */
const RELEASE_BATCH = 500;

export interface MediaOptions {
  /** Media jobs running at once (decodes, renders, probes). */
  concurrency: number;
  /** Largest width × height decoded. */
  maxPixels: number;
  /** Time limit of one decode, probe or render. */
  timeoutMs: number;
  /** Chevereto `thumb`: a square of this side (cropped to fill). */
  thumbSize: number;
  /** Chevereto `medium`: this wide, only for wider originals. */
  mediumWidth: number;
  /** Background jobs waiting beyond this are dropped (extracted later, on demand). */
  maxQueued?: number;
  now?: () => number;
}

/** Structured logging, pino-compatible. */
export interface MediaLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const SILENT: MediaLogger = { info() {}, warn() {}, error() {} };

export interface MediaMetadata {
  kind: MediaKind;
  /** done / failed: extracted (or not) once; none: nothing to extract from this type here. */
  status: 'done' | 'failed' | 'none';
  width: number | null;
  height: number | null;
  animated: boolean;
  durationMs: number | null;
  takenAt: number | null;
  error: string | null;
}

export interface Thumbnail {
  /** PNG. */
  data: Buffer;
  etag: string;
  /** A mime-type icon rather than a picture of the content. */
  icon: boolean;
}

/** Chevereto's companion images. */
export type DerivedVariant = 'thumb' | 'medium' | 'frame';

export interface DerivedImage {
  variant: DerivedVariant;
  mimeType: 'image/jpeg';
  data: Buffer;
  width: number;
  height: number;
  etag: string;
}

/**
 * The media layer: metadata extracted once per content in the background, thumbnails and derived
 * images rendered on demand and cached in the blob store, icons when nothing can be rendered.
 * Every decode goes through one bounded queue, under pixel and time limits.
 */
export class MediaService {
  private readonly queue: JobQueue;
  private readonly now: () => number;
  private log: MediaLogger = SILENT;
  /** Queued work by key and priority: concurrent requests for the same thing share one job. */
  private readonly requests = new Map<string, Promise<unknown>>();
  /** Work running inside a job, by key: a job needing what another computes waits for it. */
  private readonly computing = new Map<string, Promise<unknown>>();
  private readonly memory = new ImageMemory(MEMORY_CACHE_BYTES);
  private readonly icons = new Map<string, Promise<Buffer>>();
  private readonly failed = new Set<string>();
  /** Released blobs whose media rows and derived images are still to be removed. */
  private readonly releasing = new Set<string>();
  private releaseFlushing = false;
  /** Background writes and deletes (stored thumbnails, released blobs): awaited by idle/close. */
  private readonly tasks = new Set<Promise<unknown>>();
  private closed = false;
  private toolkit: Promise<MediaToolkit> | null = null;
  /** Set once the toolkit has loaded (synchronous checks on the hot paths). */
  private tools: MediaToolkit | null = null;

  /** `loadTools` runs once, on first need (the CLI never loads image libraries). */
  constructor(
    private readonly files: FileService,
    private readonly blobs: BlobStore,
    private readonly repo: MediaRepository,
    private readonly loadTools: () => Promise<MediaToolkit>,
    private readonly opts: MediaOptions,
  ) {
    this.queue = new JobQueue(opts.concurrency, opts.maxQueued ?? 10_000);
    this.now = opts.now ?? Date.now;
    files.listen({
      stored: (file) => this.onStored(file),
      blobReleased: (key) => this.onBlobReleased(key),
    });
  }

  useLogger(log: MediaLogger): void {
    this.log = log;
  }

  /** Load the tools (sharp, the programs found) and say what is there. */
  async ready(): Promise<MediaCapabilities> {
    return (await this.toolsLoaded()).capabilities;
  }

  private toolsLoaded(): Promise<MediaToolkit> {
    if (!this.toolkit) {
      this.toolkit = this.loadTools().then((t) => (this.tools = t));
      this.toolkit.catch(() => (this.toolkit = null));
    }
    return this.toolkit;
  }

  // -------------------------------------------------------------------------------------------
  // metadata

  /** Whether this file's type has metadata to extract with the tools present. */
  private extractable(file: FileRecord, tools: MediaToolkit): boolean {
    const kind = mediaKindOf(file.mimeType);
    if (kind === 'image') return tools.image.canDecode(file.mimeType);
    if (kind === 'video' || kind === 'audio') return tools.av.probe !== null;
    return false;
  }

  private onStored(file: FileRecord): void {
    // Cheap on the upload path: a type check and a queue push; the job does the rest.
    const kind = mediaKindOf(file.mimeType);
    if (this.closed || (kind !== 'image' && kind !== 'video' && kind !== 'audio')) return;
    if (this.tools && !this.extractable(file, this.tools)) return;
    this.extractQueued(file, 'background').catch((err) => {
      // A full queue only defers the work: metadata() extracts on demand.
      if (!(err instanceof JobRejected)) this.log.error({ err, blob: file.blobKey }, 'media job');
    });
  }

  private extractQueued(file: FileRecord, priority: JobPriority): Promise<MediaRecord | null> {
    const key = `${file.blobKey}/meta`;
    return this.queued(key, priority, (signal) => this.once(key, () => this.extract(file, signal)));
  }

  /**
   * The file's metadata, extracting it now (waiting for it) if that has not happened yet. Never
   * throws for content that cannot be decoded: that is status 'failed' with the reason.
   */
  async metadata(file: FileRecord): Promise<MediaMetadata> {
    const kind = mediaKindOf(file.mimeType);
    if (!this.extractable(file, await this.toolsLoaded())) return emptyMetadata(kind, 'none');
    const rec =
      (await this.repo.getMedia(file.blobKey)) ??
      (await this.extractQueued(file, 'interactive').catch((err) => {
        if (err instanceof JobRejected) return null;
        throw err;
      }));
    if (!rec) return emptyMetadata(kind, 'none');
    return {
      kind: rec.kind,
      status: rec.status,
      width: rec.width,
      height: rec.height,
      animated: rec.animated,
      durationMs: rec.durationMs,
      takenAt: rec.takenAt,
      error: rec.error,
    };
  }

  private async extract(file: FileRecord, signal: AbortSignal): Promise<MediaRecord | null> {
    const known = await this.repo.getMedia(file.blobKey);
    if (known) return known;
    const tools = await this.toolsLoaded();
    if (!this.extractable(file, tools)) return null;
    const kind = mediaKindOf(file.mimeType);
    const rec: MediaRecord = {
      blobKey: file.blobKey,
      kind,
      status: 'done',
      width: null,
      height: null,
      animated: false,
      durationMs: null,
      takenAt: null,
      error: null,
      updatedAt: 0,
    };
    const limits = this.limits(signal);
    try {
      const input = await this.inputOf(file);
      if (kind === 'image') {
        const facts = await tools.image.probe(input, limits);
        rec.width = facts.width;
        rec.height = facts.height;
        rec.animated = facts.animated;
        rec.takenAt = facts.takenAt;
        if (facts.width * facts.height > this.opts.maxPixels) {
          throw new Error(
            `${facts.width}x${facts.height} exceeds the limit of ${this.opts.maxPixels} pixels`,
          );
        }
      } else {
        const facts = await tools.av.probe!(input, limits);
        rec.durationMs = facts.durationMs;
        rec.width = facts.width;
        rec.height = facts.height;
      }
    } catch (err) {
      if (signal.aborted) return null; // shutting down: leave it for next time
      rec.status = 'failed';
      rec.error = errorText(err);
      this.log.warn(
        { blob: file.blobKey, file: file.id, type: file.mimeType, error: rec.error },
        'media: metadata extraction failed',
      );
    }
    rec.updatedAt = this.now();
    await this.repo.saveMedia(rec);
    return rec;
  }

  // -------------------------------------------------------------------------------------------
  // thumbnails (pixeldrain) and derived images (Chevereto)

  /**
   * Validate a requested thumbnail box: absent means 256; otherwise a multiple of 16 from 16 to
   * 256. Anything else is invalid_thumbnail_size.
   */
  thumbnailSize(width?: string | number, height?: string | number): { w: number; h: number } {
    const one = (v: string | number | undefined): number => {
      if (v === undefined || v === '') return THUMBNAIL_DEFAULT;
      const n = typeof v === 'number' ? v : /^\d{1,4}$/.test(v) ? Number(v) : NaN;
      if (
        !Number.isInteger(n) ||
        n < THUMBNAIL_MIN ||
        n > THUMBNAIL_MAX ||
        n % THUMBNAIL_STEP !== 0
      ) {
        throw new CoreError(
          'invalid_thumbnail_size',
          `Thumbnail width and height must be multiples of ${THUMBNAIL_STEP} from ${THUMBNAIL_MIN} to ${THUMBNAIL_MAX}`,
          { min: THUMBNAIL_MIN, max: THUMBNAIL_MAX, step: THUMBNAIL_STEP },
        );
      }
      return n;
    };
    return { w: one(width), h: one(height) };
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
    const spec: RenderSpec = { format: 'png', width: w, height: h, fit: 'inside', enlarge: false };
    const img = await this.rendered(file, variant, spec);
    if (img) return { data: img.data, etag: this.thumbnailEtag(file, w, h), icon: false };
    const category = iconCategoryOf(file.mimeType);
    return {
      data: await this.icon(category, w, h),
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
      img = await this.interactive(file, name, (signal) => this.frameOf(file, signal));
    } else if (variant === 'thumb') {
      const side = this.opts.thumbSize;
      name = `chv-thumb${side}.jpg`;
      img = await this.rendered(file, name, {
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
      img = await this.rendered(file, name, {
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
    return (await this.toolsLoaded()).image.canDecode(mimeType);
  }

  /**
   * A side × side JPEG of an image, cropped to fill (FileBin's 150×150 thumbnail), rendered once
   * per content and cached like the others; null for other types or when decoding fails.
   */
  async squareJpeg(file: FileRecord, side: number): Promise<Buffer | null> {
    if (!(await this.canThumbnailImage(file.mimeType))) return null;
    const img = await this.rendered(file, `square${side}.jpg`, {
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
    const tools = await this.toolsLoaded();
    const height = Math.max(1, Math.round((meta.height * width) / meta.width));
    const img = await this.queued(`${file.blobKey}/resize${width}`, 'interactive', async (signal) =>
      tools.image.render(
        await this.inputOf(file),
        { format, width, height, fit: 'inside', enlarge: false },
        this.limits(signal),
      ),
    );
    return { data: img.data, format, width: img.width, height: img.height };
  }

  /** A cached rendering, or render it now (one queued job, shared by concurrent requests). */
  private async rendered(
    file: FileRecord,
    variant: string,
    spec: RenderSpec,
  ): Promise<RenderedImage | null> {
    const cached = await this.cached(file.blobKey, variant);
    if (cached) return cached;
    const tools = await this.toolsLoaded();
    if (!this.renderable(file, tools) || this.failed.has(file.blobKey)) return null;
    const meta = await this.repo.getMedia(file.blobKey);
    if (meta?.status === 'failed') return null;
    return this.interactive(file, variant, async (signal) => {
      const again = await this.cached(file.blobKey, variant);
      if (again) return again;
      const still = await this.stillOf(file, tools, signal);
      if (!still) return null;
      const img = await tools.image.render(still, spec, this.limits(signal));
      this.keep(file.blobKey, variant, img);
      return img;
    });
  }

  /** Run `fn` as an interactive job (deduplicated); a failure is logged and gives null. */
  private async interactive(
    file: FileRecord,
    variant: string,
    fn: (signal: AbortSignal) => Promise<RenderedImage | null>,
  ): Promise<RenderedImage | null> {
    const key = `${file.blobKey}/${variant}`;
    try {
      return await this.queued(key, 'interactive', (signal) => this.once(key, () => fn(signal)));
    } catch (err) {
      if (err instanceof JobRejected) return null;
      this.rememberFailure(file.blobKey);
      this.log.warn(
        { blob: file.blobKey, file: file.id, type: file.mimeType, variant, error: errorText(err) },
        'media: rendering failed',
      );
      return null;
    }
  }

  private renderable(file: FileRecord, tools: MediaToolkit): boolean {
    const kind = mediaKindOf(file.mimeType);
    if (kind === 'image') return tools.image.canDecode(file.mimeType);
    if (kind === 'video') return tools.av.frame !== null;
    if (kind === 'pdf') return tools.pdf !== null;
    return false;
  }

  /** The still image thumbnails are made from: the image itself, a video frame, a PDF's first page. */
  private async stillOf(
    file: FileRecord,
    tools: MediaToolkit,
    signal: AbortSignal,
  ): Promise<MediaInput | null> {
    const kind = mediaKindOf(file.mimeType);
    if (kind === 'image') return this.inputOf(file);
    if (kind === 'video') {
      const frame = await this.once(`${file.blobKey}/frame.jpg`, () => this.frameOf(file, signal));
      return frame ? bytesInput(frame.data, 'image/jpeg') : null;
    }
    const pdf = tools.pdf;
    if (kind === 'pdf' && pdf) {
      const variant = `page${PDF_PAGE_SIDE}.png`;
      const page = await this.once(`${file.blobKey}/${variant}`, async () => {
        const hit = await this.cached(file.blobKey, variant);
        if (hit) return hit;
        const limits = this.limits(signal);
        const png = await pdf.firstPage(await this.inputOf(file), PDF_PAGE_SIDE, limits);
        const facts = await tools.image.probe(bytesInput(png, 'image/png'), limits);
        const img = { data: png, width: facts.width, height: facts.height };
        this.keep(file.blobKey, variant, img);
        return img;
      });
      return bytesInput(page.data, 'image/png');
    }
    return null;
  }

  /** One frame of a video as JPEG (cached as `frame.jpg`); null without a video stream. */
  private async frameOf(file: FileRecord, signal: AbortSignal): Promise<RenderedImage | null> {
    const variant = 'frame.jpg';
    const hit = await this.cached(file.blobKey, variant);
    if (hit) return hit;
    const tools = await this.toolsLoaded();
    if (!tools.av.frame) return null;
    const limits = this.limits(signal);
    const meta = await this.repo.getMedia(file.blobKey);
    const at = meta?.durationMs ? Math.min(FRAME_AT_MS, meta.durationMs / 10) : FRAME_AT_MS;
    const png = await tools.av.frame(await this.inputOf(file), Math.floor(at), limits);
    if (!png) return null;
    const img = await tools.image.render(bytesInput(png, 'image/png'), FRAME_SPEC, limits);
    this.keep(file.blobKey, variant, img);
    return img;
  }

  private icon(category: IconCategory, w: number, h: number): Promise<Buffer> {
    const key = `${category}/${w}x${h}`;
    let p = this.icons.get(key);
    if (!p) {
      p = this.toolsLoaded().then((t) => t.icons.icon(category, w, h));
      p.catch(() => this.icons.delete(key));
      this.icons.set(key, p);
    }
    return p;
  }

  // -------------------------------------------------------------------------------------------
  // the derived-image cache: memory, then the blob store

  private async cached(blobKey: string, variant: string): Promise<RenderedImage | null> {
    const mem = this.memory.get(`${blobKey}/${variant}`);
    if (mem) return mem;
    const rec = await this.repo.getDerived(blobKey, variant);
    if (!rec) return null;
    let data: Buffer;
    try {
      data = await this.blobs.read(rec.location);
    } catch (err) {
      if (!(err instanceof CoreError && err.code === 'not_found')) throw err;
      // The stored object is gone (a crash between deleting rows and objects): render again.
      await this.repo.deleteDerived(blobKey, variant, rec.location);
      return null;
    }
    const img = { data, width: rec.width, height: rec.height };
    this.memory.set(`${blobKey}/${variant}`, img);
    return img;
  }

  /** Keep a fresh rendering in memory and, in the background, in the blob store. */
  private keep(blobKey: string, variant: string, img: RenderedImage): void {
    this.memory.set(`${blobKey}/${variant}`, img);
    this.track(
      this.store(blobKey, variant, img).catch((err) =>
        this.log.warn({ blob: blobKey, variant, error: errorText(err) }, 'media: caching failed'),
      ),
    );
  }

  private async store(blobKey: string, variant: string, img: RenderedImage): Promise<void> {
    const staged = await this.blobs.put(Readable.from([img.data]), {
      maxBytes: img.data.length + 1,
      inlineMax: 0,
    });
    let location: string;
    try {
      location = await staged.commit();
    } catch (err) {
      await staged.discard();
      throw err;
    }
    let kept: DerivedRecord | null;
    try {
      kept = await this.repo.insertDerived({
        blobKey,
        variant,
        location,
        size: img.data.length,
        width: img.width,
        height: img.height,
        createdAt: this.now(),
      });
    } catch (err) {
      await this.blobs.delete(location).catch(() => {});
      throw err;
    }
    // The blob was deleted meanwhile, or another process stored the same variant first.
    if (!kept || kept.location !== location) await this.blobs.delete(location);
  }

  private onBlobReleased(blobKey: string): void {
    this.memory.deletePrefix(`${blobKey}/`);
    this.failed.delete(blobKey);
    // Gathered: a recursive delete releases thousands of blobs at once, and one transaction per
    // blob (three statements each) kept the database busy for seconds.
    this.releasing.add(blobKey);
    if (!this.releaseFlushing) {
      this.releaseFlushing = true;
      this.track(this.flushReleased());
    }
  }

  /** Forget what was derived from released blobs, RELEASE_BATCH blobs per transaction. */
  private async flushReleased(): Promise<void> {
    try {
      // The releases of one delete arrive over a few turns of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.releasing.size > 0) {
        const keys: string[] = [];
        for (const k of this.releasing) {
          keys.push(k);
          if (keys.length === RELEASE_BATCH) break;
        }
        for (const k of keys) this.releasing.delete(k);
        try {
          const locations = await this.repo.releaseBlobs(keys);
          for (const loc of locations) await this.blobs.delete(loc);
        } catch (err) {
          this.log.error(
            { blob: keys[0], blobs: keys.length, error: errorText(err) },
            'media: cleanup failed',
          );
        }
      }
    } finally {
      this.releaseFlushing = false;
    }
  }

  /** Remove derived images whose content is gone (left by a crash). Run once at start. */
  sweep(): void {
    this.track(
      (async () => {
        for (;;) {
          const locations = await this.repo.sweepOrphans(500);
          for (const loc of locations) await this.blobs.delete(loc);
          if (locations.length < 500 || this.closed) break;
        }
      })().catch((err) => this.log.error({ error: errorText(err) }, 'media: sweep failed')),
    );
  }

  // -------------------------------------------------------------------------------------------
  // plumbing

  private queued<T>(
    key: string,
    priority: JobPriority,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const k = `${key}|${priority}`;
    let p = this.requests.get(k) as Promise<T> | undefined;
    if (!p) {
      p = this.queue.run(fn, priority).finally(() => this.requests.delete(k));
      this.requests.set(k, p);
    }
    return p;
  }

  /** Inside a running job: share work another running job is already doing. */
  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.computing.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn().finally(() => this.computing.delete(key));
      this.computing.set(key, p);
    }
    return p;
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

  private rememberFailure(blobKey: string): void {
    if (this.failed.size >= FAILED_MEMORY) {
      const oldest = this.failed.values().next().value;
      if (oldest !== undefined) this.failed.delete(oldest);
    }
    this.failed.add(blobKey);
  }

  private track(p: Promise<unknown>): void {
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p));
  }

  /** Resolves once no media job is queued or running and background writes are done (tests). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0 || this.queue.size.running > 0 || this.queue.size.queued > 0) {
      await this.queue.idle();
      await Promise.allSettled([...this.tasks]);
    }
  }

  /** Refuse queued jobs, kill running programs, and wait for what is in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.close();
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}

function emptyMetadata(kind: MediaKind, status: MediaMetadata['status']): MediaMetadata {
  return {
    kind,
    status,
    width: null,
    height: null,
    animated: false,
    durationMs: null,
    takenAt: null,
    error: null,
  };
}

function bytesInput(data: Buffer, mimeType: string): MediaInput {
  return {
    size: data.length,
    mimeType,
    path: null,
    bytes: data,
    open: async () => Readable.from([data]),
  };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** A byte-budgeted LRU of rendered images. */
class ImageMemory {
  private readonly map = new Map<string, RenderedImage>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get(key: string): RenderedImage | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: RenderedImage): void {
    this.delete(key);
    if (value.data.length > this.budget / 8) return; // big frames stay in the blob store only
    this.map.set(key, value);
    this.bytes += value.data.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.data.length;
    }
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.bytes -= v.data.length;
    }
  }

  deletePrefix(prefix: string): void {
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.delete(k);
  }
}
