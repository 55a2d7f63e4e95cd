import { setTimeout as sleep } from 'node:timers/promises';
import type { Principal } from '../accounts.js';
import type { BlobStore } from '../blob-store.js';
import { CoreError } from '../errors.js';
import { StagedUpload, type FileService } from '../files.js';
import type {
  PendingOwner,
  ResumableBytes,
  ResumableRecord,
  ResumableRepository,
} from './records.js';

export type { ResumableBytes, ResumableRecord, ResumableRepository } from './records.js';

export interface ResumableOptions {
  /** An unfinished upload is removed this long after its last write; a finished one's record too. */
  expiryMs: number;
  /** Unfinished uploads per account (per address, anonymous). */
  maxPending: number;
  /** Bodies up to this size are kept in the metadata (as FileService does for other uploads). */
  inlineMax: number;
  now?: () => number;
}

export interface CreateInput {
  id: string;
  uploader: Principal | null;
  ip: string | null;
  /** Upload-Length. */
  length: number;
  /** Upload-Metadata `filename`, unchecked. */
  name: string | null | undefined;
}

export interface Finished {
  fileId: string;
  /** Anonymous uploads only. */
  deleteKey?: string;
}

const SWEEP_BATCH = 200;
/** A publication (adopt + publishStaged) not done after this long is taken over. */
const CLAIM_STALE_MS = 10 * 60_000;

/**
 * Resumable (tus) uploads: who may create one (the same checks as any upload, before any byte:
 * credentials, name, size; plus the count of unfinished uploads and their declared bytes against
 * the quotas), who may touch one (its owner; anyone with the URL of an anonymous one), when
 * unfinished ones expire, and what happens when the last byte arrives: the bytes are adopted by
 * the blob store (no copy) and published as a file through FileService's staged path (hash,
 * dedup, quotas, blocked hashes, media, scans).
 */
export class ResumableService {
  private readonly now: () => number;

  constructor(
    private readonly repo: ResumableRepository,
    private readonly files: FileService,
    private readonly blobs: BlobStore,
    readonly bytes: ResumableBytes,
    private readonly opts: ResumableOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get expiryMs(): number {
    return this.opts.expiryMs;
  }

  get maxSize(): number {
    return this.files.maxFileSize;
  }

  /** Admission of a new upload (before it exists): throws to refuse; records it when admitted. */
  async create(input: CreateInput): Promise<ResumableRecord> {
    if (typeof input.name !== 'string') {
      throw new CoreError('name_out_of_range', 'Upload-Metadata must carry a filename', {
        field: 'name',
        min_len: 1,
        max_len: 255,
        len: 0,
      });
    }
    const name = this.files.checkUploadAllowed(input.uploader, input.length, input.name);
    const now = this.now();
    const owner: PendingOwner | null = input.uploader
      ? { ownerId: input.uploader.userId }
      : input.ip
        ? { ip: input.ip }
        : null;
    const pending = owner ? await this.repo.pendingOf(owner, now) : { count: 0, bytes: 0 };
    if (pending.count >= this.opts.maxPending) {
      throw new CoreError(
        'too_many_pending_uploads',
        `At most ${this.opts.maxPending} unfinished uploads at a time`,
        { max: this.opts.maxPending },
      );
    }
    // The declared bytes of unfinished uploads count as if stored.
    await this.files.checkUploadQuota(input.uploader, input.length + pending.bytes, {
      ip: input.ip,
    });
    const record: ResumableRecord = {
      id: input.id,
      ownerId: input.uploader?.userId ?? null,
      ownerIp: input.ip,
      length: input.length,
      name,
      createdAt: now,
      expiresAt: now + this.opts.expiryMs,
      fileId: null,
      finishedAt: null,
    };
    await this.repo.insert(record);
    return record;
  }

  /**
   * An upload the caller may see: its owner's, or an anonymous one (a capability by its URL).
   * Others' and expired unfinished ones are not_found (as if they did not exist).
   */
  async get(id: string, caller: Principal | null): Promise<ResumableRecord> {
    const r = await this.repo.get(id);
    if (!r) throw notFound();
    if (r.ownerId !== null && r.ownerId !== caller?.userId) throw notFound();
    if (r.expiresAt <= this.now()) throw notFound();
    return r;
  }

  /**
   * The length of an upload whose bytes are all in and that has become a file or is being
   * published (its bytes may already have moved into the blob store): null when unknown or
   * unfinished.
   */
  async publishedLength(id: string): Promise<number | null> {
    const r = await this.repo.get(id);
    return r && (r.fileId !== null || r.finishedAt !== null) ? r.length : null;
  }

  /** A write is starting or has happened: the upload expires that long after it. */
  async touch(id: string): Promise<void> {
    await this.repo.touch(id, this.now() + this.opts.expiryMs);
  }

  /**
   * The last byte arrived: the bytes become a file. On a refusal (quota, blocked content) the
   * bytes and the record go, and the error is thrown.
   */
  async finish(id: string, caller: Principal | null, ip: string | null): Promise<Finished> {
    const r = await this.get(id, caller);
    if (r.fileId) return { fileId: r.fileId };
    const now = this.now();
    if (!(await this.repo.claim(id, now, now - CLAIM_STALE_MS))) {
      // Another request is publishing it (a HEAD that found it complete, the last PATCH).
      return { fileId: await this.fileOf(id) };
    }
    const anonymous = r.ownerId === null;
    try {
      const blob = await this.adopt(r);
      const { file, deleteKey } = await this.files.publishStaged(new StagedUpload(blob), {
        name: r.name,
        uploader: anonymous ? null : caller,
        anonymous,
        uploaderIp: ip ?? r.ownerIp,
      });
      const now = this.now();
      await this.repo.finish(id, file.id, now, now + this.opts.expiryMs);
      await this.bytes.remove(id).catch(() => {});
      return deleteKey ? { fileId: file.id, deleteKey } : { fileId: file.id };
    } catch (err) {
      await this.bytes.remove(id).catch(() => {});
      await this.repo.delete(id).catch(() => {});
      throw err;
    }
  }

  /** Wait for the request publishing an upload to record its file. */
  private async fileOf(id: string): Promise<string> {
    for (let waited = 0; waited < CLAIM_STALE_MS; waited += 100) {
      const r = await this.repo.get(id);
      if (!r) throw notFound();
      if (r.fileId) return r.fileId;
      await sleep(100);
    }
    throw new CoreError('storage_failed', 'The upload is still being published');
  }

  /**
   * An unfinished upload whose bytes are all in (its last PATCH was cut off right after them, or
   * the process died before publishing): publish it now. null when it is not complete.
   */
  async finishIfComplete(
    record: ResumableRecord,
    offset: number,
    caller: Principal | null,
    ip: string | null,
  ): Promise<Finished | null> {
    if (record.fileId || offset !== record.length) return null;
    return this.finish(record.id, caller, ip);
  }

  private async adopt(r: ResumableRecord) {
    const sha256 = this.bytes.sha256Of?.(r.id, r.length);
    if (!this.blobs.adopt) throw new CoreError('storage_failed', 'This store cannot adopt uploads');
    return this.blobs.adopt(this.bytes.refOf(r.id), {
      size: r.length,
      inlineMax: this.opts.inlineMax,
      ...(sha256 ? { sha256 } : {}),
    });
  }

  /** Termination (tus DELETE): the bytes and the record go (a finished upload's file stays). */
  async terminate(id: string): Promise<void> {
    await this.bytes.remove(id).catch(() => {});
    await this.repo.delete(id);
  }

  /** An account is being deleted: its unfinished uploads' bytes go (the rows cascade). */
  async removeAllOf(ownerId: string): Promise<void> {
    for (const id of await this.repo.unfinishedOf(ownerId)) {
      await this.bytes.remove(id).catch(() => {});
      await this.repo.delete(id);
    }
  }

  /**
   * Expired uploads: unfinished ones lose their bytes, then their record; finished ones' records
   * go. `lease` is renewed before each batch (false: another node took over). Returns how many.
   */
  async sweep(lease: () => Promise<boolean> = async () => true): Promise<number> {
    let n = 0;
    for (;;) {
      if (!(await lease())) return n;
      const batch = await this.repo.expired(this.now(), SWEEP_BATCH);
      for (const r of batch) {
        if (!r.fileId) await this.bytes.remove(r.id);
        await this.repo.delete(r.id);
        n++;
      }
      if (batch.length < SWEEP_BATCH) return n;
    }
  }
}

function notFound(): CoreError {
  return new CoreError('not_found', 'The entity you requested could not be found');
}
