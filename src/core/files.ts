import { Readable } from 'node:stream';
import {
  INLINE_LOCATION,
  type BlobReader,
  type BlobStore,
  type ByteRange,
  type StagedBlob,
} from './blob-store.js';
import { CoreError } from './errors.js';
import { hashSecret, digestsEqual, newId, newSecret, ID_PATTERN } from './ids.js';
import { detectMediaType } from './media-type.js';
import { validateFileName } from './names.js';
import {
  DuplicateIdError,
  type CounterDelta,
  type FileRecord,
  type FileRepository,
} from './records.js';
import type { Principal } from './accounts.js';

export const MAX_IDS_PER_REQUEST = 100;
/** Uploads up to this size are kept in the metadata database, not the blob store. */
const INLINE_MAX = 16 * 1024;
/** Blobs up to this size are served from memory once read... */
const SMALL_BLOB = 64 * 1024;
/** ...within this budget. */
const SMALL_BLOB_CACHE = 32 * 1024 * 1024;

export interface UploadInput {
  body: Readable;
  name: string;
  uploader: Principal | null;
  /** Legacy pixeldrain `anonymous=true`: do not link the file to the uploader's account. */
  anonymous?: boolean;
  /** Refuse empty bodies (multipart POST: `no_file`); raw PUT accepts an empty file. */
  rejectEmpty?: boolean;
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

export interface FileServiceOptions {
  maxFileSize: number;
  allowAnonymousUploads: boolean;
  /** How long metadata may be served from memory. Deletes in this process invalidate at once. */
  cacheTtlMs?: number;
  /** Uploads up to this many bytes are kept in the metadata (default 16 KiB; 0 = never). */
  inlineMaxBytes?: number;
  /** Counters (downloads, bandwidth) are summed in memory and written at most this often. */
  counterFlushMs?: number;
  now?: () => number;
}

/**
 * Files: upload, lookup, ranged reads, delete. Blobs are shared by content; the blob's row in the
 * metadata counts its files. Every committed upload has a location of its own and the metadata
 * transaction decides which location is the blob (see BlobStore), so concurrent uploads and
 * deletes of the same bytes, in any number of processes, never lose a referenced blob nor keep an
 * unreferenced one.
 */
export class FileService {
  private readonly cache = new Map<string, { file: FileRecord; until: number }>();
  private readonly smallBlobs = new LruBytes(SMALL_BLOB_CACHE);
  private readonly counters = new Map<string, CounterDelta>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly listeners: Partial<FileListeners>[] = [];

  constructor(
    private readonly repo: FileRepository,
    private readonly blobs: BlobStore,
    private readonly opts: FileServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  listen(listener: Partial<FileListeners>): void {
    this.listeners.push(listener);
  }

  private emit<K extends keyof FileListeners>(
    event: K,
    ...args: Parameters<FileListeners[K]>
  ): void {
    for (const l of this.listeners) {
      const fn = l[event] as ((...a: Parameters<FileListeners[K]>) => void) | undefined;
      try {
        fn?.(...args);
      } catch {
        // A listener's failure is its own; the file operation has succeeded.
      }
    }
  }

  /**
   * Checks that need no body: call before reading a single byte of the upload.
   * Returns the validated name.
   */
  checkUploadAllowed(
    uploader: Principal | null,
    declaredSize: number | null,
    name: string,
  ): string {
    if (!uploader && !this.opts.allowAnonymousUploads) {
      throw new CoreError('authentication_required', 'An API key is required to upload files');
    }
    if (declaredSize !== null && declaredSize > this.opts.maxFileSize) {
      throw new CoreError('file_too_large', 'The file you tried to upload is too large', {
        max_size: this.opts.maxFileSize,
      });
    }
    return validateFileName(name);
  }

  async upload(input: UploadInput): Promise<UploadResult> {
    const name = this.checkUploadAllowed(input.uploader, null, input.name);
    const staged = await this.blobs.put(input.body, {
      maxBytes: this.opts.maxFileSize,
      inlineMax: this.opts.inlineMaxBytes ?? INLINE_MAX,
    });
    if (input.rejectEmpty && staged.size === 0) {
      await staged.discard();
      throw new CoreError('no_file', 'The file does not exist or is empty');
    }
    const owner = input.anonymous ? null : input.uploader;
    const deleteKey = owner ? undefined : newSecret();
    const now = this.now();
    const file: FileRecord = {
      id: '',
      name,
      size: staged.size,
      mimeType: await detectMediaType(name, staged.head),
      blobKey: staged.key,
      blobLocation: '',
      ownerId: owner?.userId ?? null,
      deleteKeyHash: deleteKey ? hashSecret(deleteKey) : null,
      createdAt: now,
      lastViewAt: now,
      views: 0,
      downloads: 0,
      bandwidthUsed: 0,
    };
    await this.publish(staged, file);
    this.emit('stored', file);
    return { file, deleteKey };
  }

  private async publish(staged: StagedBlob, file: FileRecord): Promise<void> {
    // Identical content already stored: take a reference on it and drop our copy unpublished.
    const existing = await this.withFreshId(file, () => this.repo.insertIfBlobExists(file)).catch(
      async (err) => {
        await staged.discard();
        throw err;
      },
    );
    if (existing) {
      file.blobLocation = existing.location;
      await staged.discard();
      return;
    }
    if (staged.inline) {
      // Small: the bytes go into the blob's row, in the same transaction as the file.
      file.blobLocation = INLINE_LOCATION;
      const { location } = await this.withFreshId(file, () =>
        this.repo.insertWithBlobRef(file, staged.inline),
      );
      file.blobLocation = location;
      return;
    }
    let ours: string;
    try {
      ours = await staged.commit();
    } catch (err) {
      await staged.discard();
      throw err;
    }
    file.blobLocation = ours;
    try {
      const { location } = await this.withFreshId(file, () => this.repo.insertWithBlobRef(file));
      if (location !== ours) {
        // The same content was published concurrently and won: ours is referenced by nothing.
        file.blobLocation = location;
        await this.blobs.delete(ours);
      }
    } catch (err) {
      // The transaction did not happen: our copy is referenced by nothing.
      await this.blobs.delete(ours).catch(() => {});
      throw err;
    }
  }

  /** Run an insert with a new random id, retrying on the (rare) clash. */
  private async withFreshId<T>(file: FileRecord, insert: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      file.id = newId();
      try {
        return await insert();
      } catch (err) {
        if (err instanceof DuplicateIdError && attempt < 5) continue;
        if (err instanceof CoreError) throw err;
        throw new CoreError(
          'storage_failed',
          'Something went wrong while saving the file',
          undefined,
          { cause: err },
        );
      }
    }
  }

  async get(id: string): Promise<FileRecord> {
    const hit = this.cache.get(id);
    const now = this.now();
    if (hit && hit.until > now) return hit.file;
    if (!ID_PATTERN.test(id))
      throw new CoreError('not_found', 'The entity you requested could not be found');
    const file = await this.repo.get(id);
    if (!file) {
      this.cache.delete(id);
      throw new CoreError('not_found', 'The entity you requested could not be found');
    }
    const ttl = this.opts.cacheTtlMs ?? 1000;
    if (ttl > 0) {
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(id, { file, until: now + ttl });
    }
    return file;
  }

  /** Several files by id, in the order asked, skipping missing ones; not_found only if none exist. */
  async getMany(ids: readonly string[]): Promise<FileRecord[]> {
    if (ids.length > MAX_IDS_PER_REQUEST) {
      throw new CoreError(
        'too_many_ids',
        'A string parameter you passed was either too short or too long',
        {
          field: 'id',
          min_len: 1,
          max_len: MAX_IDS_PER_REQUEST,
          len: ids.length,
        },
      );
    }
    const valid = [...new Set(ids.filter((id) => ID_PATTERN.test(id)))];
    const found = valid.length > 0 ? await this.repo.getMany(valid) : [];
    const byId = new Map(found.map((f) => [f.id, f]));
    const out = ids.map((id) => byId.get(id)).filter((f): f is FileRecord => f !== undefined);
    if (out.length === 0)
      throw new CoreError('not_found', 'The entity you requested could not be found');
    return out;
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
    if (file.size > SMALL_BLOB) return this.blobs.read(file.blobLocation, range);
    // Keyed by content hash: identical content has identical bytes, wherever it is kept.
    let bytes: Buffer | null | undefined = this.smallBlobs.get(file.blobKey);
    if (!bytes) {
      bytes =
        file.blobLocation === INLINE_LOCATION
          ? await this.repo.readInlineBlob(file.blobKey)
          : await this.blobs.read(file.blobLocation);
      if (!bytes) throw new CoreError('not_found', 'The entity you requested could not be found');
      this.smallBlobs.set(file.blobKey, bytes);
    }
    return range ? bytes.subarray(range.start, range.end + 1) : bytes;
  }

  /**
   * All of these files, in the order asked (for archives): one missing id is not_found with
   * `extra.file` naming it.
   */
  async getAll(ids: readonly string[], max: number): Promise<FileRecord[]> {
    if (ids.length > max) {
      throw new CoreError('too_many_ids', 'Too many files requested at once', {
        field: 'id',
        min_len: 1,
        max_len: max,
        len: ids.length,
      });
    }
    const valid = [...new Set(ids.filter((id) => ID_PATTERN.test(id)))];
    const found = valid.length > 0 ? await this.repo.getMany(valid) : [];
    const byId = new Map(found.map((f) => [f.id, f]));
    return ids.map((id) => {
      const f = byId.get(id);
      if (!f) throw new CoreError('not_found', `File ${id} does not exist`, { file: id });
      return f;
    });
  }

  /** The caller's files, newest first. */
  async listOwned(principal: Principal, limit = 50_000): Promise<FileRecord[]> {
    return this.repo.listByOwner(principal.userId, limit);
  }

  async usageOf(userId: string): Promise<{ count: number; bytes: number }> {
    return this.repo.usageOf(userId);
  }

  /** Rename a file of the caller's. */
  async rename(id: string, newName: string, principal: Principal | null): Promise<FileRecord> {
    if (!principal) throw new CoreError('authentication_required');
    const name = validateFileName(newName);
    const file = await this.repo.get(id);
    if (!file) throw new CoreError('not_found', 'The entity you requested could not be found');
    if (!this.canEdit(file, principal)) {
      throw new CoreError('forbidden', 'You are not logged in or this is not your file');
    }
    await this.repo.rename(id, name);
    this.cache.delete(id);
    return { ...file, name };
  }

  /**
   * Copy a file into the caller's account ("grab"): a new file with its own id and counters, the
   * same blob (one more reference, no bytes copied).
   */
  async grab(id: string, principal: Principal | null): Promise<FileRecord> {
    if (!principal) throw new CoreError('authentication_required');
    const source = await this.get(id);
    const now = this.now();
    const copy: FileRecord = {
      ...source,
      id: '',
      ownerId: principal.userId,
      deleteKeyHash: null,
      createdAt: now,
      lastViewAt: now,
      views: 0,
      downloads: 0,
      bandwidthUsed: 0,
    };
    const ref = await this.withFreshId(copy, () => this.repo.insertIfBlobExists(copy));
    // The source was deleted (and its blob with it) in the meantime.
    if (!ref) throw new CoreError('not_found', 'The entity you requested could not be found');
    copy.blobLocation = ref.location;
    this.emit('stored', copy);
    return copy;
  }

  /** Delete every file of a user (account deletion), releasing their blobs. */
  async deleteAllOwnedBy(userId: string): Promise<void> {
    for (;;) {
      const batch = await this.repo.listByOwner(userId, 500);
      if (batch.length === 0) return;
      for (const f of batch) {
        await this.deleteUnchecked(f).catch((err: unknown) => {
          // Deleted concurrently: already gone, which is what we want.
          if (!(err instanceof CoreError && err.code === 'not_found')) throw err;
        });
      }
    }
  }

  canEdit(file: FileRecord, viewer: Principal | null): boolean {
    return viewer !== null && file.ownerId !== null && file.ownerId === viewer.userId;
  }

  /**
   * Delete as the owner, or with the delete key handed out for an anonymous upload.
   * Without either: authentication_required; someone else's file: forbidden.
   */
  async delete(
    id: string,
    by: { principal: Principal | null; deleteKey?: string | null },
  ): Promise<void> {
    const file = await this.repo.get(id);
    if (!file) throw new CoreError('not_found', 'The entity you requested could not be found');
    const byKey =
      !!by.deleteKey &&
      file.deleteKeyHash !== null &&
      digestsEqual(hashSecret(by.deleteKey), file.deleteKeyHash);
    if (!byKey) {
      if (!by.principal && !by.deleteKey)
        throw new CoreError('authentication_required', 'You need to be logged in');
      if (!by.principal || !this.canEdit(file, by.principal)) {
        throw new CoreError('forbidden', 'You are not logged in or this is not your file');
      }
    }
    await this.deleteUnchecked(file);
  }

  private async deleteUnchecked(file: FileRecord): Promise<void> {
    const res = await this.repo.deleteAndReleaseBlob(file.id);
    this.cache.delete(file.id);
    if (!res) throw new CoreError('not_found', 'The entity you requested could not be found');
    if (res.blobUnreferenced) {
      this.smallBlobs.delete(file.blobKey);
      if (res.location !== INLINE_LOCATION) await this.blobs.delete(res.location);
      this.emit('blobReleased', file.blobKey);
    }
  }

  /** Count a transfer. Summed in memory, written in one batch per interval. */
  recordTransfer(id: string, bytes: number, completedDownload: boolean): void {
    const c = this.counters.get(id) ?? { downloads: 0, bandwidth: 0 };
    c.bandwidth += bytes;
    if (completedDownload) c.downloads += 1;
    this.counters.set(id, c);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(
        () => void this.flushCounters(),
        this.opts.counterFlushMs ?? 1000,
      );
      this.flushTimer.unref();
    }
  }

  async flushCounters(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.counters.size === 0) return;
    const batch = new Map(this.counters);
    this.counters.clear();
    for (const id of batch.keys()) this.cache.delete(id);
    await this.repo.addCounters(batch, this.now()).catch(() => {
      // Counting is best-effort; a failed batch is dropped rather than blocking downloads.
    });
  }

  async close(): Promise<void> {
    await this.flushCounters();
  }
}

/** A byte-budgeted LRU (Map iteration order is insertion order; a hit re-inserts). */
class LruBytes {
  private readonly map = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get(key: string): Buffer | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: Buffer): void {
    this.delete(key);
    this.map.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.length;
    }
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.bytes -= v.length;
    }
  }
}
