import type { Readable } from 'node:stream';
import type { Spool } from './spool.js';

/** The parameters that carry the upload: `source`, and `image` (imgBB's name, an alias). */
export const SOURCE_FIELDS = ['source', 'image'] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/** Where the upload comes from, as far as the body told us. */
export type BodySource =
  /** Held on disk (base64 decoded, or a file part that came before the key). */
  | { kind: 'spool'; field: SourceField; spool: Spool; filename: string | null; base64: boolean }
  /** A file part streamed straight into the core while the request was read. */
  | { kind: 'direct'; field: SourceField; done: Promise<unknown> }
  | { kind: 'url'; field: SourceField; url: string }
  /** A base64 source that failed (the error is reported in Chevereto's order, after the key). */
  | { kind: 'invalid'; field: SourceField; error: unknown };

export interface BodyLimits {
  /** Decoded upload size limit. */
  maxFileBytes: number;
  /** Urlencoded bodies: 4/3 of the size limit and room for escapes and other fields. */
  maxBodyBytes: number;
  /** A base64 source in a multipart text field is held in memory: at most this long. */
  maxTextField: number;
  /** Where spools are written (the data dir's `tmp`): every one is removed when the request ends. */
  spoolDir: string;
}

/**
 * A file part: the handler streams it into the core now (returns the promise) or returns null,
 * and it is spooled to disk until the whole request has been read.
 */
export type FilePartHandler = (
  field: SourceField,
  stream: Readable,
  filename: string,
  fieldsSoFar: Record<string, string>,
) => Promise<unknown> | null;

export interface ParsedBody {
  fields: Record<string, string>;
  source: BodySource | null;
  /** A file part named image was sent (imgBB's field). */
  imageFilePart: boolean;
}
