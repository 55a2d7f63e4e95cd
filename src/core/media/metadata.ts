import { JobRejected, type JobPriority } from '../job-queue.js';
import type { MediaRecord, MediaToolkit } from '../media-ports.js';
import { mediaKindOf } from '../media-type.js';
import type { FileRecord } from '../records.js';
import type { MediaContext } from './context.js';
import { emptyMetadata, errorText, type MediaMetadata } from './types.js';

/**
 * Metadata (dimensions, animation, duration, EXIF date), extracted once per content: queued in
 * the background when a file is stored, or now when asked before that; kept in the `media` row.
 */
export class MetadataExtraction {
  constructor(private readonly ctx: MediaContext) {}

  /** Whether this file's type has metadata to extract with the tools present. */
  extractable(file: FileRecord, tools: MediaToolkit): boolean {
    const kind = mediaKindOf(file.mimeType);
    if (kind === 'image') return tools.image.canDecode(file.mimeType);
    if (kind === 'video' || kind === 'audio') return tools.av.probe !== null;
    return false;
  }

  /** A file was stored: queue its extraction in the background. */
  stored(file: FileRecord): void {
    // Cheap on the upload path: a type check and a queue push; the job does the rest.
    const kind = mediaKindOf(file.mimeType);
    if (this.ctx.closed() || (kind !== 'image' && kind !== 'video' && kind !== 'audio')) return;
    const tools = this.ctx.tools.loaded;
    if (tools && !this.extractable(file, tools)) return;
    this.queued(file, 'background').catch((err) => {
      // A full queue only defers the work: metadata() extracts on demand.
      if (!(err instanceof JobRejected))
        this.ctx.log().error({ err, blob: file.blobKey }, 'media job');
    });
  }

  /**
   * The file's metadata, extracting it now (waiting for it) if that has not happened yet. Never
   * throws for content that cannot be decoded: that is status 'failed' with the reason.
   */
  async metadata(file: FileRecord): Promise<MediaMetadata> {
    const kind = mediaKindOf(file.mimeType);
    if (!this.extractable(file, await this.ctx.tools.load())) return emptyMetadata(kind, 'none');
    const rec =
      (await this.ctx.repo.getMedia(file.blobKey)) ??
      (await this.queued(file, 'interactive').catch((err) => {
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

  private queued(file: FileRecord, priority: JobPriority): Promise<MediaRecord | null> {
    const key = `${file.blobKey}/meta`;
    const { jobs } = this.ctx;
    return jobs.queued(key, priority, (signal) => jobs.once(key, () => this.extract(file, signal)));
  }

  private async extract(file: FileRecord, signal: AbortSignal): Promise<MediaRecord | null> {
    const { repo, opts } = this.ctx;
    const known = await repo.getMedia(file.blobKey);
    if (known) return known;
    const tools = await this.ctx.tools.load();
    if (!this.extractable(file, tools)) return null;
    const kind = mediaKindOf(file.mimeType);
    const rec: MediaRecord = {
      blobKey: file.blobKey,
      ...emptyMetadata(kind, 'done'),
      status: 'done',
      updatedAt: 0,
    };
    const limits = this.ctx.limits(signal);
    try {
      const input = await this.ctx.inputOf(file);
      if (kind === 'image') {
        const facts = await tools.image.probe(input, limits);
        rec.width = facts.width;
        rec.height = facts.height;
        rec.animated = facts.animated;
        rec.takenAt = facts.takenAt;
        if (facts.width * facts.height > opts.maxPixels) {
          throw new Error(
            `${facts.width}x${facts.height} exceeds the limit of ${opts.maxPixels} pixels`,
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
      this.ctx
        .log()
        .warn(
          { blob: file.blobKey, file: file.id, type: file.mimeType, error: rec.error },
          'media: metadata extraction failed',
        );
    }
    rec.updatedAt = this.ctx.now();
    await repo.saveMedia(rec);
    return rec;
  }
}
