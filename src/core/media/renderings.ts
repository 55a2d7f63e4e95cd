import { JobRejected } from '../job-queue.js';
import type {
  IconCategory,
  MediaInput,
  MediaToolkit,
  RenderSpec,
  RenderedImage,
} from '../media-ports.js';
import { mediaKindOf } from '../media-type.js';
import type { FileRecord } from '../records.js';
import { bytesInput, type MediaContext } from './context.js';
import type { DerivedCache } from './derived-cache.js';
import { errorText } from './types.js';

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

/**
 * Rendering on demand: a still (the image itself, a video frame, a PDF's first page) rendered to
 * a spec in one interactive job shared by concurrent requests, cached by DerivedCache; content
 * that failed is remembered and not tried again; mime-type icons when nothing can be rendered.
 */
export class Renderings {
  private readonly icons = new Map<string, Promise<Buffer>>();
  private readonly failed = new Set<string>();

  constructor(
    private readonly ctx: MediaContext,
    private readonly cache: DerivedCache,
  ) {}

  /** A cached rendering, or render it now (one queued job, shared by concurrent requests). */
  async rendered(
    file: FileRecord,
    variant: string,
    spec: RenderSpec,
  ): Promise<RenderedImage | null> {
    const cached = await this.cache.get(file.blobKey, variant);
    if (cached) return cached;
    const tools = await this.ctx.tools.load();
    if (!this.renderable(file, tools) || this.failed.has(file.blobKey)) return null;
    const meta = await this.ctx.repo.getMedia(file.blobKey);
    if (meta?.status === 'failed') return null;
    return this.interactive(file, variant, async (signal) => {
      const again = await this.cache.get(file.blobKey, variant);
      if (again) return again;
      const still = await this.stillOf(file, tools, signal);
      if (!still) return null;
      const img = await tools.image.render(still, spec, this.ctx.limits(signal));
      this.cache.keep(file.blobKey, variant, img);
      return img;
    });
  }

  /** Run `fn` as an interactive job (deduplicated); a failure is logged and gives null. */
  async interactive(
    file: FileRecord,
    variant: string,
    fn: (signal: AbortSignal) => Promise<RenderedImage | null>,
  ): Promise<RenderedImage | null> {
    const key = `${file.blobKey}/${variant}`;
    const { jobs } = this.ctx;
    try {
      return await jobs.queued(key, 'interactive', (signal) => jobs.once(key, () => fn(signal)));
    } catch (err) {
      if (err instanceof JobRejected) return null;
      this.rememberFailure(file.blobKey);
      this.ctx.log().warn(
        {
          blob: file.blobKey,
          file: file.id,
          type: file.mimeType,
          variant,
          error: errorText(err),
        },
        'media: rendering failed',
      );
      return null;
    }
  }

  /** One frame of a video as JPEG (cached as `frame.jpg`); null without a video stream. */
  async frameOf(file: FileRecord, signal: AbortSignal): Promise<RenderedImage | null> {
    const variant = 'frame.jpg';
    const hit = await this.cache.get(file.blobKey, variant);
    if (hit) return hit;
    const tools = await this.ctx.tools.load();
    if (!tools.av.frame) return null;
    const limits = this.ctx.limits(signal);
    const meta = await this.ctx.repo.getMedia(file.blobKey);
    const at = meta?.durationMs ? Math.min(FRAME_AT_MS, meta.durationMs / 10) : FRAME_AT_MS;
    const png = await tools.av.frame(await this.ctx.inputOf(file), Math.floor(at), limits);
    if (!png) return null;
    const img = await tools.image.render(bytesInput(png, 'image/png'), FRAME_SPEC, limits);
    this.cache.keep(file.blobKey, variant, img);
    return img;
  }

  /** A mime-type icon of exactly w × h (drawn once per category and size). */
  icon(category: IconCategory, w: number, h: number): Promise<Buffer> {
    const key = `${category}/${w}x${h}`;
    let p = this.icons.get(key);
    if (!p) {
      p = this.ctx.tools.load().then((t) => t.icons.icon(category, w, h));
      p.catch(() => this.icons.delete(key));
      this.icons.set(key, p);
    }
    return p;
  }

  /** The content is gone: a new blob with this key is tried afresh. */
  forget(blobKey: string): void {
    this.failed.delete(blobKey);
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
    if (kind === 'image') return this.ctx.inputOf(file);
    const { jobs } = this.ctx;
    if (kind === 'video') {
      const frame = await jobs.once(`${file.blobKey}/frame.jpg`, () => this.frameOf(file, signal));
      return frame ? bytesInput(frame.data, 'image/jpeg') : null;
    }
    const pdf = tools.pdf;
    if (kind === 'pdf' && pdf) {
      const variant = `page${PDF_PAGE_SIDE}.png`;
      const page = await jobs.once(`${file.blobKey}/${variant}`, async () => {
        const hit = await this.cache.get(file.blobKey, variant);
        if (hit) return hit;
        const limits = this.ctx.limits(signal);
        const png = await pdf.firstPage(await this.ctx.inputOf(file), PDF_PAGE_SIDE, limits);
        const facts = await tools.image.probe(bytesInput(png, 'image/png'), limits);
        const img = { data: png, width: facts.width, height: facts.height };
        this.cache.keep(file.blobKey, variant, img);
        return img;
      });
      return bytesInput(page.data, 'image/png');
    }
    return null;
  }

  private rememberFailure(blobKey: string): void {
    if (this.failed.size >= FAILED_MEMORY) {
      const oldest = this.failed.values().next().value;
      if (oldest !== undefined) this.failed.delete(oldest);
    }
    this.failed.add(blobKey);
  }
}
