import { INLINE_LOCATION } from '../blob-store.js';
import { requireAccess } from '../access.js';
import type { Principal } from '../accounts.js';
import type { DeferredDeletes } from '../deferred-deletes.js';
import { CoreError } from '../errors.js';
import { digestsEqual, hashSecret } from '../ids.js';
import type { FileRecord, FileRepository } from '../records.js';
import type { FileBytes } from './bytes.js';
import type { FileLookup } from './lookup.js';

/** Whether `viewer` may change the file: its owner (anonymous files have none). */
export function canEdit(file: FileRecord, viewer: Principal | null): boolean {
  return viewer !== null && file.ownerId !== null && file.ownerId === viewer.userId;
}

/**
 * Deleting files: by their owner or delete key, by an administrator, by account deletion, at
 * expiry. Every path drops the file's row and its reference on the blob in one transaction; the
 * bytes of a blob left unreferenced are removed after (now, or later if the store cannot be
 * reached) and its derived data released (`released`).
 */
export class FileRemoval {
  constructor(
    private readonly repo: Pick<
      FileRepository,
      'get' | 'listByOwner' | 'listExpired' | 'deleteAndReleaseBlob'
    >,
    private readonly lookup: FileLookup,
    private readonly bytes: FileBytes,
    private readonly deferredDeletes: DeferredDeletes,
    private readonly now: () => number,
    /** A content's last reference went: listeners drop what they derived from it. */
    private readonly released: (blobKey: string) => void,
  ) {}

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
      if (!by.principal || !canEdit(file, by.principal)) {
        throw new CoreError('forbidden', 'You are not logged in or this is not your file');
      }
      requireAccess(by.principal, 'edit_own');
    }
    await this.deleteUnchecked(file);
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
    this.lookup.forget(file.id);
    if (!res) throw new CoreError('not_found', 'The entity you requested could not be found');
    if (res.blobUnreferenced) {
      this.bytes.forget(file.blobKey);
      // The row is gone, so the delete has happened: the bytes are removed now, or later if the
      // blob store cannot be reached (retried; `gc` finds what is left), never a half-done 5xx.
      if (res.location !== INLINE_LOCATION) await this.deferredDeletes.delete(res.location);
      this.released(file.blobKey);
    }
  }

  /**
   * The last reference on a blob went elsewhere (a filesystem node): its bytes are removed (now, or
   * later if the store cannot be reached) and what was derived from it may go.
   */
  async releaseBlob(key: string, location: string): Promise<void> {
    this.bytes.forget(key);
    if (location !== INLINE_LOCATION) await this.deferredDeletes.delete(location);
    this.released(key);
  }

  /** A copy of bytes that lost a race to an identical one: nothing references it. */
  async discardCopy(location: string): Promise<void> {
    await this.deferredDeletes.delete(location);
  }
}
