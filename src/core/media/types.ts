import type { MediaKind } from '../media-ports.js';

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

export const SILENT: MediaLogger = { info() {}, warn() {}, error() {} };

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

export function emptyMetadata(kind: MediaKind, status: MediaMetadata['status']): MediaMetadata {
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

/** An error as one bounded line for the log. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
