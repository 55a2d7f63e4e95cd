import sharp, { type SharpOptions } from 'sharp';
import type {
  ImageFacts,
  ImageRenderer,
  MediaInput,
  MediaLimits,
  RenderSpec,
  RenderedImage,
} from '../core/media-ports.js';
import { exifTakenAt } from './exif.js';
import { withPathOrBytes } from './input.js';

// Every file is decoded once in a while, never repeatedly: libvips' operation cache would only
// hold memory and keep deleted blobs open.
sharp.cache(false);

/** Types decoded here, by sharp's name for the loader. SVG is active content: never rendered. */
const LOADERS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'heif',
  'image/tiff': 'tiff',
};

/** Still images with sharp (libvips): pixel-limited, sequential, time-limited. */
export class SharpRenderer implements ImageRenderer {
  readonly formats: string[];
  private readonly types: Set<string>;

  constructor() {
    const fmt = sharp.format as unknown as Record<
      string,
      { input?: { file?: boolean; buffer?: boolean } }
    >;
    this.types = new Set(
      Object.entries(LOADERS)
        .filter(([, loader]) => fmt[loader]?.input?.file && fmt[loader]?.input?.buffer)
        .map(([type]) => type),
    );
    this.formats = [...this.types].map((t) => t.slice('image/'.length)).sort();
  }

  static get version(): { sharp: string; libvips: string } {
    return { sharp: sharp.versions.sharp ?? '?', libvips: sharp.versions.vips };
  }

  canDecode(mimeType: string): boolean {
    return this.types.has(mimeType.split(';')[0]!.trim().toLowerCase());
  }

  private options(limits: MediaLimits): SharpOptions {
    return {
      limitInputPixels: limits.maxPixels,
      sequentialRead: true,
      failOn: 'error',
    };
  }

  async probe(input: MediaInput, limits: MediaLimits): Promise<ImageFacts> {
    const meta = await withPathOrBytes(input, (src) => sharp(src, this.options(limits)).metadata());
    if (!meta.width || !meta.height) throw new Error('image without dimensions');
    const pages = meta.pages ?? 1;
    return {
      width: meta.autoOrient?.width ?? meta.width,
      height: meta.autoOrient?.height ?? meta.height,
      animated: pages > 1 && (meta.format === 'gif' || meta.format === 'webp'),
      takenAt: exifTakenAt(meta.exif),
    };
  }

  async render(input: MediaInput, spec: RenderSpec, limits: MediaLimits): Promise<RenderedImage> {
    return withPathOrBytes(input, async (src) => {
      let img = sharp(src, { ...this.options(limits), autoOrient: true, animated: false })
        .timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) })
        .resize({
          width: spec.width,
          height: spec.height,
          fit: spec.fit,
          withoutEnlargement: !spec.enlarge,
        });
      img =
        spec.format === 'jpeg'
          ? img.flatten({ background: '#ffffff' }).jpeg({ quality: 82 })
          : spec.format === 'webp'
            ? img.webp({ quality: 82 })
            : img.png({ compressionLevel: 6 });
      const { data, info } = await img.toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    });
  }
}
