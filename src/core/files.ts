import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  INLINE_LOCATION,
  type BlobReader,
  type BlobStore,
  type ByteRange,
  type StagedBlob,
} from './blob-store.js';
import { CoreError, isUnavailable } from './errors.js';
import { hashSecret, digestsEqual, newSecret, newVariableId, ID_PATTERN } from './ids.js';
import { detectMediaType, isActiveContent } from './media-type.js';
import { validateFileName } from './names.js';
import { DuplicateIdError, type FileRecord, type FileRepository } from './records.js';
import { requireAccess } from './access.js';
import type { Principal } from './accounts.js';
import { DeferredDeletes } from './deferred-deletes.js';
import type {
  FileListeners,
  FileServiceOptions,
  IdLength,
  UploadGate,
  UploadInput,
  UploadResult,
} from './file-types.js';
import { LruBytes } from './lru-bytes.js';
import { TtlCache } from './ttl-cache.js';

/** Comma-separated ids one request may name (`/api/file/{a,b,…}/info`, the API docs' 1000). */
export const MAX_IDS_PER_REQUEST = 1000;
/** Uploads up to this size are kept in the metadata database, not the blob store. */
const INLINE_MAX = 16 * 1024;
/** Blobs up to this size are served from memory once read... */
const SMALL_BLOB = 64 * 1024;
/**
 * ...within this budget, per process (the page cache serves the rest): 32 MiB of it stayed in
 * every worker after a soak, a fifth of the memory target.
 */
const SMALL_BLOB_CACHE = 8 * 1024 * 1024;
/** What a cached small blob costs besides its bytes: its key (hex SHA-256), Buffer, Map entry. */
const SMALL_BLOB_ENTRY_COST = 256;
/** File records looked up in the last `cacheTtlMs` kept at most (a lookup burst's ids). */
const RECORD_CACHE_ENTRIES = 10_000;

export type {
  FileListeners,
  FileServiceOptions,
  IdLength,
  UploadGate,
  UploadInput,
  UploadResult,
} from './file-types.js';

const DEFAULT_ID_LENGTH: IdLength = { min: 8, max: 8 };

/**
 * Files: upload, lookup, ranged reads, delete. Blobs are shared by content; the blob's row in the
 * metadata counts its files. Every committed upload has a location of its own and the metadata
 * transaction decides which location is the blob (see BlobStore), so concurrent uploads and
 * deletes of the same bytes, in any number of processes, never lose a referenced blob nor keep an
 * unreferenced one.
 */
export class FileService {
  private readonly cache: TtlCache<FileRecord>;
  private readonly smallBlobs = new LruBytes(SMALL_BLOB_CACHE, SMALL_BLOB_ENTRY_COST);
  private readonly now: () => number;
  private readonly listeners: Partial<FileListeners>[] = [];
  /** MD5s being computed, by blob key: concurrent askers share one pass over the bytes. */
  private readonly md5Pending = new Map<string, Promise<string>>();
  /** Objects released while the blob store could not be reached, removed later (or by gc). */
  readonly deferredDeletes: DeferredDeletes;
  private gate: UploadGate | null = null;

  constructor(
    private readonly repo: FileRepository,
    private readonly blobs: BlobStore,
    private readonly opts: FileServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.cache = new TtlCache(opts.cacheTtlMs ?? 1000, RECORD_CACHE_ENTRIES);
    this.deferredDeletes = new DeferredDeletes(blobs);
  }

  /** Called once by the wiring: the quotas every upload passes. */
  setUploadGate(gate: UploadGate): void {
    this.gate = gate;
  }

  /**
   * The quotas, before any byte of the body is read (`declared`: the size if known). Dialects call
   * this after `checkUploadAllowed`; the staged size is checked again at publication.
   */
  async checkUploadQuota(
    uploader: Principal | null,
    declared: number | null,
    opts: { ip?: string | null; anonymous?: boolean } = {},
  ): Promise<void> {
    const owner = opts.anonymous ? null : uploader;
    await this.gate?.beforeBody(owner, opts.ip ?? null, declared);
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
    this.checkUploadAllowed(input.uploader, null, input.name);
    const staged = await this.stage(input.body);
    return this.publishStaged(staged, input);
  }

  /**
   * Receive an upload's bytes (up to the size limit) without publishing a file yet: FileBin's
   * clients send the API key after the files, so the file is published (or discarded) once the
   * whole form has been read. Nothing is visible until `publishStaged`.
   */
  async stage(body: Readable): Promise<StagedUpload> {
    const telemetry = this.opts.telemetry;
    telemetry?.gauge('active_uploads', 1);
    try {
      const blob = await this.blobs.put(body, {
        maxBytes: this.opts.maxFileSize,
        inlineMax: this.opts.inlineMaxBytes ?? INLINE_MAX,
      });
      return new StagedUpload(blob);
    } finally {
      telemetry?.gauge('active_uploads', -1);
    }
  }

  /** Publish staged bytes as a file (or discard them on any refusal). */
  async publishStaged(
    upload: StagedUpload,
    input: Omit<UploadInput, 'body'>,
  ): Promise<UploadResult> {
    const staged = upload.blob;
    let name: string;
    try {
      name = this.checkUploadAllowed(input.uploader, null, input.name);
    } catch (err) {
      await staged.discard();
      throw err;
    }
    if (input.rejectEmpty && staged.size === 0) {
      await staged.discard();
      throw new CoreError('no_file', 'The file does not exist or is empty');
    }
    const owner = input.anonymous ? null : input.uploader;
    if (this.gate && !input.admitted) {
      try {
        await this.gate.admit(owner, input.uploaderIp ?? null, staged.size);
      } catch (err) {
        await staged.discard();
        throw err;
      }
    }
    const deleteKey = owner && !input.withDeleteKey ? undefined : newSecret();
    const now = this.now();
    const mimeType = await detectMediaType(name, staged.head);
    try {
      input.accept?.(mimeType);
      await this.opts.screen?.(staged.key);
    } catch (err) {
      await staged.discard();
      throw err;
    }
    const file: FileRecord = {
      id: '',
      name,
      size: staged.size,
      mimeType,
      blobKey: staged.key,
      blobLocation: '',
      ownerId: owner?.userId ?? null,
      deleteKeyHash: deleteKey ? hashSecret(deleteKey) : null,
      createdAt: now,
      lastViewAt: now,
      views: 0,
      downloads: 0,
      bandwidthUsed: 0,
      bandwidthPaid: 0,
      expiresAt: input.expiresAt ?? null,
      uploaderIp: input.uploaderIp ?? null,
      lastDownloadAt: now,
    };
    await this.publish(staged, file, input.idLength ?? DEFAULT_ID_LENGTH);
    this.emit('stored', file);
    return { file, deleteKey };
  }

  private async publish(staged: StagedBlob, file: FileRecord, idLength: IdLength): Promise<void> {
    // Identical content already stored: take a reference on it and drop our copy unpublished.
    const existing = await this.withFreshId(
      file,
      () => this.repo.insertIfBlobExists(file),
      idLength,
    ).catch(async (err) => {
      await staged.discard();
      throw err;
    });
    if (existing) {
      file.blobLocation = existing.location;
      await staged.discard();
      return;
    }
    if (staged.inline) {
      // Small: the bytes go into the blob's row, in the same transaction as the file.
      file.blobLocation = INLINE_LOCATION;
      const { location } = await this.withFreshId(
        file,
        () => this.repo.insertWithBlobRef(file, staged.inline),
        idLength,
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
      const { location } = await this.withFreshId(
        file,
        () => this.repo.insertWithBlobRef(file),
        idLength,
      );
      if (location !== ours) {
        // The same content was published concurrently and won: ours is referenced by nothing.
        file.blobLocation = location;
        // The file exists now whatever happens to our copy (unreachable: removed later or by gc).
        await this.deferredDeletes.delete(ours);
      }
    } catch (err) {
      // The transaction did not happen: our copy is referenced by nothing. Unless the connection
      // was lost: then the commit may have happened without its answer reaching us, and deleting
      // the copy could break the file. Left alone, it is at worst unreferenced (gc removes it).
      if (!isUnavailable(err)) await this.deferredDeletes.delete(ours);
      throw err;
    }
  }

  /**
   * Run an insert with a new random id (never a reserved word), retrying on a clash: rare for
   * 8 characters, less so for FileBin's short ids, which get FileBin's 100 tries.
   */
  private async withFreshId<T>(
    file: FileRecord,
    insert: () => Promise<T>,
    idLength: IdLength = DEFAULT_ID_LENGTH,
  ): Promise<T> {
    const tries = idLength.min < 8 ? 100 : 5;
    for (let attempt = 0; ; attempt++) {
      file.id = newVariableId(idLength.min, idLength.max);
      try {
        return await insert();
      } catch (err) {
        if (err instanceof DuplicateIdError && attempt < tries) continue;
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
    const now = this.now();
    const hit = this.cache.get(id, now);
    if (hit) {
      if (isExpired(hit, now)) throw expiredError();
      return hit;
    }
    if (!ID_PATTERN.test(id))
      throw new CoreError('not_found', 'The entity you requested could not be found');
    const file = await this.repo.get(id);
    // An expired file is gone for every dialect at its expiry time, before the sweep deletes it.
    if (!file || isExpired(file, now)) {
      this.cache.delete(id);
      throw new CoreError('not_found', 'The entity you requested could not be found');
    }
    this.cache.set(id, file, now);
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
    const now = this.now();
    const byId = new Map(found.filter((f) => !isExpired(f, now)).map((f) => [f.id, f]));
    const out = ids.map((id) => byId.get(id)).filter((f): f is FileRecord => f !== undefined);
    if (out.length === 0)
      throw new CoreError('not_found', 'The entity you requested could not be found');
    return out;
  }

  /**
   * Where the client may fetch the bytes itself (a presigned URL), when redirects are enabled and
   * the store offers them; null otherwise. Active content (HTML, SVG...) is never redirected: it is
   * served here, sandboxed. The caller counts the download now, as its bytes never pass through us.
   */
  async redirectUrl(file: FileRecord, disposition: string): Promise<string | null> {
    if (!this.opts.redirectDownloads || !this.blobs.signedUrl) return null;
    if (file.blobLocation === INLINE_LOCATION || isActiveContent(file.mimeType)) return null;
    const url = await this.blobs.signedUrl(file.blobLocation, {
      contentType: file.mimeType,
      disposition,
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
    if (file.size > SMALL_BLOB) return this.blobs.read(file.blobLocation, range);
    // Keyed by content hash: identical content has identical bytes, wherever it is kept.
    let bytes: Buffer | null | undefined = this.smallBlobs.get(file.blobKey);
    if (!bytes) {
      bytes =
        file.blobLocation === INLINE_LOCATION
          ? await this.repo.readInlineBlob(file.blobKey)
          : await this.blobs.read(file.blobLocation);
      if (!bytes) throw new CoreError('not_found', 'The entity you requested could not be found');
      bytes = this.smallBlobs.set(file.blobKey, bytes);
    }
    return range ? bytes.subarray(range.start, range.end + 1) : bytes;
  }

  /**
   * All of these files, in the order asked (for archives): one missing id is not_found with
   * `extra.file` naming it.
   */
  async getAll(ids: readonly string[], max: number): Promise<FileRecord[]> {
    const byId = await this.lookupMany(ids, max);
    return ids.map((id) => {
      const f = byId.get(id);
      if (!f) throw new CoreError('not_found', `File ${id} does not exist`, { file: id });
      return f;
    });
  }

  /** Those of these files that exist, in the order asked (a virtual list of ids skips the gone). */
  async findAll(ids: readonly string[], max: number): Promise<FileRecord[]> {
    const byId = await this.lookupMany(ids, max);
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  private async lookupMany(ids: readonly string[], max: number): Promise<Map<string, FileRecord>> {
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
    const now = this.now();
    return new Map(found.filter((f) => !isExpired(f, now)).map((f) => [f.id, f]));
  }

  /** The caller's files, newest first. */
  async listOwned(principal: Principal, limit = 50_000): Promise<FileRecord[]> {
    requireAccess(principal, 'read_own');
    return this.repo.listByOwner(principal.userId, limit);
  }

  async usageOf(userId: string): Promise<{ count: number; bytes: number }> {
    return this.repo.usageOf(userId);
  }

  /** Size of the distinct contents a user's files hold: identical content counts once. */
  async distinctBytesOf(userId: string): Promise<number> {
    return this.repo.distinctBytesOf(userId);
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

  /** Rename a file of the caller's. */
  async rename(id: string, newName: string, principal: Principal | null): Promise<FileRecord> {
    if (!principal) throw new CoreError('authentication_required');
    requireAccess(principal, 'edit_own');
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
    // A blocked file (or blocked content) is not copied: the copy would not be blocked.
    if (source.abuseType)
      throw new CoreError('content_blocked', 'This file has been blocked on this server');
    await this.opts.screen?.(source.blobKey);
    await this.gate?.admit(principal, null, source.size);
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
      bandwidthPaid: 0,
      expiresAt: null,
      lastDownloadAt: now,
    };
    const ref = await this.withFreshId(copy, () => this.repo.insertIfBlobExists(copy));
    // The source was deleted (and its blob with it) in the meantime.
    if (!ref) throw new CoreError('not_found', 'The entity you requested could not be found');
    copy.blobLocation = ref.location;
    this.emit('stored', copy);
    return copy;
  }

  /** Delete a file regardless of owner (administration: `stowage gc --fix`). */
  async deleteAsAdmin(id: string): Promise<void> {
    const file = await this.repo.get(id);
    if (!file) throw new CoreError('not_found', 'The entity you requested could not be found');
    await this.deleteUnchecked(file);
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
      requireAccess(by.principal, 'edit_own');
    }
    await this.deleteUnchecked(file);
  }

  /** The service's clock (epoch ms): dialects date their replies with it. */
  clock(): number {
    return this.now();
  }

  /**
   * Delete a file on the core's own authority (a replaced original, an expired file): the same
   * path as every delete, so the blob's reference count is respected.
   */
  async remove(file: FileRecord): Promise<void> {
    await this.deleteUnchecked(file);
  }

  /** Delete up to `limit` files whose expiry time has passed; returns how many went. */
  async deleteExpired(limit = 500): Promise<number> {
    const expired = await this.repo.listExpired(this.now(), limit);
    let deleted = 0;
    for (const f of expired) {
      try {
        await this.deleteUnchecked(f);
        deleted++;
      } catch (err) {
        // Deleted concurrently (its owner, another node): already gone, which is what we want.
        if (!(err instanceof CoreError && err.code === 'not_found')) throw err;
      }
    }
    return deleted;
  }

  private async deleteUnchecked(file: FileRecord): Promise<void> {
    const res = await this.repo.deleteAndReleaseBlob(file.id);
    this.cache.delete(file.id);
    if (!res) throw new CoreError('not_found', 'The entity you requested could not be found');
    if (res.blobUnreferenced) {
      this.smallBlobs.delete(file.blobKey);
      // The row is gone, so the delete has happened: the bytes are removed now, or later if the
      // blob store cannot be reached (retried; `gc` finds what is left), never a half-done 5xx.
      if (res.location !== INLINE_LOCATION) await this.deferredDeletes.delete(res.location);
      this.emit('blobReleased', file.blobKey);
    }
  }

  /** The largest upload accepted, in bytes. */
  get maxFileSize(): number {
    return this.opts.maxFileSize;
  }

  /** Bodies up to this size are kept in the metadata (resumable uploads adopt with it). */
  get inlineMax(): number {
    return this.opts.inlineMaxBytes ?? INLINE_MAX;
  }

  /** Whether uploads without an account are accepted at all. */
  get allowsAnonymousUploads(): boolean {
    return this.opts.allowAnonymousUploads;
  }

  /**
   * The quotas and the content screen for staged bytes published elsewhere than as a file (a
   * filesystem node): throws to refuse; the caller discards.
   */
  async admitStaged(
    owner: Principal | null,
    ip: string | null,
    staged: StagedUpload,
  ): Promise<void> {
    await this.gate?.admit(owner, ip, staged.size);
    await this.opts.screen?.(staged.blob.key);
  }

  /** The quotas for content referenced again (a filesystem import): throws to refuse. */
  async admitBytes(owner: Principal, bytes: number): Promise<void> {
    await this.gate?.admit(owner, null, bytes);
  }

  /**
   * The last reference on a blob went elsewhere (a filesystem node): its bytes are removed (now, or
   * later if the store cannot be reached) and what was derived from it may go.
   */
  async releaseBlob(key: string, location: string): Promise<void> {
    this.smallBlobs.delete(key);
    if (location !== INLINE_LOCATION) await this.deferredDeletes.delete(location);
    this.emit('blobReleased', key);
  }

  /** A copy of bytes that lost a race to an identical one: nothing references it. */
  async discardCopy(location: string): Promise<void> {
    await this.deferredDeletes.delete(location);
  }

  /** Content stored by another path than an upload of a file (scans and media run for it). */
  announceStored(file: FileRecord): void {
    this.emit('stored', file);
  }

  /** Drop a file's cached metadata (its counters were written, it changed elsewhere). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  close(): void {
    this.deferredDeletes.close();
  }
}

/** Bytes received for an upload, not yet a file (see FileService.stage). */
export class StagedUpload {
  constructor(readonly blob: StagedBlob) {}

  get size(): number {
    return this.blob.size;
  }

  discard(): Promise<void> {
    return this.blob.discard();
  }
}

function isExpired(file: FileRecord, now: number): boolean {
  return file.expiresAt !== undefined && file.expiresAt !== null && file.expiresAt <= now;
}

function expiredError(): CoreError {
  return new CoreError('not_found', 'The entity you requested could not be found');
}
