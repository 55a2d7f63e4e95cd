import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { INLINE_LOCATION, type BlobReader, type BlobStore, type ByteRange } from '../blob-store.js';
import { CoreError } from '../errors.js';
import { LruBytes } from '../lru-bytes.js';
import { isActiveContent } from '../media-type.js';
import type { FileRecord, FileRepository } from '../records.js';

/** Blobs up to this size are served from memory once read... */
export const SMALL_BLOB = 64 * 1024;
/**
 * ...within this budget, per process (the page cache serves the rest): 32 MiB of it stayed in
 * every worker after a soak, a fifth of the memory target.
 */
const SMALL_BLOB_CACHE = 8 * 1024 * 1024;
/** What a cached small blob costs besides its bytes: its key (hex SHA-256), Buffer, Map entry. */
const SMALL_BLOB_ENTRY_COST = 256;

/**
 * A file's bytes: streams, positional readers, presigned redirects, whole small blobs from
 * memory, and FileBin's MD5s (computed once per content, on first ask).
 */
export class FileBytes {
  private readonly smallBlobs = new LruBytes(SMALL_BLOB_CACHE, SMALL_BLOB_ENTRY_COST);
  /** MD5s being computed, by blob key: concurrent askers share one pass over the bytes. */
  private readonly md5Pending = new Map<string, Promise<string>>();

  constructor(
    private readonly repo: Pick<FileRepository, 'readInlineBlob' | 'md5Of' | 'setMd5'>,
    private readonly blobs: BlobStore,
    private readonly opts: { redirectDownloads?: boolean },
  ) {}

  /**
   * Where the client may fetch the bytes itself (a presigned URL), when redirects are enabled and
   * the store offers them; null otherwise. Active content (HTML, SVG...) is never redirected: it is
   * served here, sandboxed. The caller counts the download now, as its bytes never pass through us.
   * `disposition` is called only when a URL is signed (the download path's hot case has none).
   */
  async redirectUrl(file: FileRecord, disposition: () => string): Promise<string | null> {
    if (!this.opts.redirectDownloads || !this.blobs.signedUrl) return null;
    if (file.blobLocation === INLINE_LOCATION || isActiveContent(file.mimeType)) return null;
    const url = await this.blobs.signedUrl(file.blobLocation, {
      contentType: file.mimeType,
      disposition: disposition(),
      expiresIn: 300,
    });
    return url;
  }

  /** A positional reader on the file's bytes, when the blob store offers one (else null: use openStream). */
  async openReader(file: FileRecord): Promise<BlobReader | null> {
    if (file.blobLocation === INLINE_LOCATION || !this.blobs.openReader) return null;
    return this.blobs.openReader(file.blobLocation);
  }

  async openStream(file: FileRecord, range?: ByteRange): Promise<Readable> {
    if (file.blobLocation === INLINE_LOCATION)
      return Readable.from([await this.readBytes(file, range)]);
    return this.blobs.get(file.blobLocation, range);
  }

  /** Bytes of a small file or range. Whole small blobs are kept in memory (locations never change). */
  async readBytes(file: FileRecord, range?: ByteRange): Promise<Buffer> {
    const held = this.heldBytes(file, range);
    if (held) return held;
    if (file.size > SMALL_BLOB) return this.blobs.read(file.blobLocation, range);
    const bytes =
      file.blobLocation === INLINE_LOCATION
        ? await this.repo.readInlineBlob(file.blobKey)
        : await this.blobs.read(file.blobLocation);
    if (!bytes) throw new CoreError('not_found', 'The entity you requested could not be found');
    const kept = this.smallBlobs.set(file.blobKey, bytes);
    return range ? kept.subarray(range.start, range.end + 1) : kept;
  }

  /** The bytes (or range) of a small file when they are in memory already; else undefined. */
  heldBytes(file: FileRecord, range?: ByteRange): Buffer | undefined {
    if (file.size > SMALL_BLOB) return undefined;
    // Keyed by content hash: identical content has identical bytes, wherever it is kept.
    const bytes = this.smallBlobs.get(file.blobKey);
    return bytes && range ? bytes.subarray(range.start, range.end + 1) : bytes;
  }

  /**
   * The MD5 (hex) of each file's content, by blob key (FileBin's `hash`). Computed lazily: the
   * first time a content is asked for, its bytes are read once and the digest is stored with the
   * blob, so the upload path never pays for it and later asks cost one indexed read.
   */
  async md5Of(files: readonly FileRecord[]): Promise<Map<string, string>> {
    const known = await this.repo.md5Of(files.map((f) => f.blobKey));
    const missing = new Map<string, FileRecord>();
    for (const f of files) if (!known.has(f.blobKey)) missing.set(f.blobKey, f);
    // A few at a time: reading is I/O bound, hashing ~600 MB/s per core.
    const queue = [...missing.values()];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) known.set(f.blobKey, await this.md5One(f));
    };
    await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
    return known;
  }

  private md5One(file: FileRecord): Promise<string> {
    let p = this.md5Pending.get(file.blobKey);
    if (!p) {
      p = (async () => {
        const hash = createHash('md5');
        if (file.size <= SMALL_BLOB) hash.update(await this.readBytes(file));
        else for await (const chunk of await this.openStream(file)) hash.update(chunk as Buffer);
        const md5 = hash.digest('hex');
        await this.repo.setMd5(file.blobKey, md5);
        return md5;
      })().finally(() => this.md5Pending.delete(file.blobKey));
      this.md5Pending.set(file.blobKey, p);
    }
    return p;
  }

  /** A content's bytes are gone (its blob released): drop them from memory. */
  forget(blobKey: string): void {
    this.smallBlobs.delete(blobKey);
  }
}
