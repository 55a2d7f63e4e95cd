import { Readable } from 'node:stream';
import { type BlobReader, type BlobStore, type ByteRange, type StagedBlob } from './blob-store.js';
import { CoreError } from './errors.js';
import { hashSecret, newSecret } from './ids.js';
import { detectMediaType } from './media-type.js';
import { validateFileName } from './names.js';
import type { FileRecord, FileRepository } from './records.js';
import { requireAccess } from './access.js';
import type { Principal } from './accounts.js';
import { DeferredDeletes } from './deferred-deletes.js';
import type {
  FileListeners,
  FileServiceOptions,
  UploadGate,
  UploadInput,
  UploadResult,
} from './file-types.js';
import { FileBytes } from './files/bytes.js';
import { FileLookup } from './files/lookup.js';
import { BlobPublisher, DEFAULT_ID_LENGTH } from './files/publish.js';
import { canEdit, FileRemoval } from './files/removal.js';

export { MAX_IDS_PER_REQUEST } from './files/lookup.js';
/** Uploads up to this size are kept in the metadata database, not the blob store. */
const INLINE_MAX = 16 * 1024;

export type {
  FileListeners,
  FileServiceOptions,
  IdLength,
  UploadGate,
  UploadInput,
  UploadResult,
} from './file-types.js';

/**
 * Files: upload, lookup, ranged reads, delete. Blobs are shared by content; the blob's row in the
 * metadata counts its files. Every committed upload has a location of its own and the metadata
 * transaction decides which location is the blob (see BlobStore), so concurrent uploads and
 * deletes of the same bytes, in any number of processes, never lose a referenced blob nor keep an
 * unreferenced one.
 */
export class FileService {
  private readonly lookup: FileLookup;
  private readonly bytes: FileBytes;
  private readonly publisher: BlobPublisher;
  private readonly removal: FileRemoval;
  private readonly now: () => number;
  private readonly listeners: Partial<FileListeners>[] = [];
  /** Objects released while the blob store could not be reached, removed later (or by gc). */
  readonly deferredDeletes: DeferredDeletes;
  private gate: UploadGate | null = null;

  constructor(
    private readonly repo: FileRepository,
    private readonly blobs: BlobStore,
    private readonly opts: FileServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.lookup = new FileLookup(repo, this.now, opts.cacheTtlMs ?? 1000);
    this.deferredDeletes = new DeferredDeletes(blobs);
    this.bytes = new FileBytes(repo, blobs, opts);
    this.publisher = new BlobPublisher(repo, this.deferredDeletes);
    this.removal = new FileRemoval(
      repo,
      this.lookup,
      this.bytes,
      this.deferredDeletes,
      this.now,
      (key) => this.emit('blobReleased', key),
    );
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
      expiresAt:
        input.expiresInMs !== undefined && input.expiresInMs !== null
          ? now + input.expiresInMs
          : (input.expiresAt ?? null),
      uploaderIp: input.uploaderIp ?? null,
      lastDownloadAt: now,
    };
    await this.publisher.publish(staged, file, input.idLength ?? DEFAULT_ID_LENGTH);
    this.emit('stored', file);
    return { file, deleteKey };
  }

  /** The record when this process has it at hand (a lookup moments ago); else use `get`. */
  cached(id: string): FileRecord | undefined {
    return this.lookup.cached(id);
  }

  /** A file by id (not_found when missing, expired or malformed). */
  get(id: string): Promise<FileRecord> {
    return this.lookup.get(id);
  }

  /** Several files by id, in the order asked, skipping missing ones; not_found only if none exist. */
  getMany(ids: readonly string[]): Promise<FileRecord[]> {
    return this.lookup.getMany(ids);
  }

  /** All of these files, in the order asked (for archives): one missing is not_found. */
  getAll(ids: readonly string[], max: number): Promise<FileRecord[]> {
    return this.lookup.getAll(ids, max);
  }

  /** Those of these files that exist, in the order asked. */
  findAll(ids: readonly string[], max: number): Promise<FileRecord[]> {
    return this.lookup.findAll(ids, max);
  }

  /**
   * Where the client may fetch the bytes itself (a presigned URL), when redirects are enabled and
   * the store offers them; null otherwise (see FileBytes). `disposition` makes the
   * Content-Disposition the URL is signed with, asked for only when there is one to sign.
   */
  redirectUrl(file: FileRecord, disposition: () => string): Promise<string | null> {
    return this.bytes.redirectUrl(file, disposition);
  }

  /** A positional reader on the file's bytes, when the blob store offers one (else null: use openStream). */
  openReader(file: FileRecord): Promise<BlobReader | null> {
    return this.bytes.openReader(file);
  }

  openStream(file: FileRecord, range?: ByteRange): Promise<Readable> {
    return this.bytes.openStream(file, range);
  }

  /** Bytes of a small file or range (whole small blobs kept in memory). */
  readBytes(file: FileRecord, range?: ByteRange): Promise<Buffer> {
    return this.bytes.readBytes(file, range);
  }

  /** A small file's bytes (or range) when they are in memory; else undefined (use `readBytes`). */
  heldBytes(file: FileRecord, range?: ByteRange): Buffer | undefined {
    return this.bytes.heldBytes(file, range);
  }

  /** The MD5 (hex) of each file's content, by blob key (FileBin's `hash`), computed on first ask. */
  md5Of(files: readonly FileRecord[]): Promise<Map<string, string>> {
    return this.bytes.md5Of(files);
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
    this.lookup.forget(id);
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
    const ref = await this.publisher.withFreshId(copy, () => this.repo.insertIfBlobExists(copy));
    // The source was deleted (and its blob with it) in the meantime.
    if (!ref) throw new CoreError('not_found', 'The entity you requested could not be found');
    copy.blobLocation = ref.location;
    this.emit('stored', copy);
    return copy;
  }

  /** Delete a file regardless of owner (administration: `stowage gc --fix`). */
  deleteAsAdmin(id: string): Promise<void> {
    return this.removal.deleteAsAdmin(id);
  }

  /** Delete every file of a user (account deletion), releasing their blobs. */
  deleteAllOwnedBy(userId: string): Promise<void> {
    return this.removal.deleteAllOwnedBy(userId);
  }

  canEdit(file: FileRecord, viewer: Principal | null): boolean {
    return canEdit(file, viewer);
  }

  /**
   * Delete as the owner, or with the delete key handed out for an anonymous upload.
   * Without either: authentication_required; someone else's file: forbidden.
   */
  delete(
    id: string,
    by: { principal: Principal | null; deleteKey?: string | null },
  ): Promise<void> {
    return this.removal.delete(id, by);
  }

  /** Delete a file on the core's own authority (a replaced original, an expired file). */
  remove(file: FileRecord): Promise<void> {
    return this.removal.remove(file);
  }

  /** Delete up to `limit` files whose expiry time has passed; returns how many went. */
  deleteExpired(limit = 500): Promise<number> {
    return this.removal.deleteExpired(limit);
  }

  /** The last reference on a blob went elsewhere (a filesystem node): its bytes go. */
  releaseBlob(key: string, location: string): Promise<void> {
    return this.removal.releaseBlob(key, location);
  }

  /** A copy of bytes that lost a race to an identical one: nothing references it. */
  discardCopy(location: string): Promise<void> {
    return this.removal.discardCopy(location);
  }

  /** The service's clock (epoch ms): dialects date their replies with it. */
  clock(): number {
    return this.now();
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

  /** Content stored by another path than an upload of a file (scans and media run for it). */
  announceStored(file: FileRecord): void {
    this.emit('stored', file);
  }

  /** Drop a file's cached metadata (its counters were written, it changed elsewhere). */
  forget(id: string): void {
    this.lookup.forget(id);
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
