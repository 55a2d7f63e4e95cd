import { CoreError, isUnavailable } from '../errors.js';
import { newVariableId } from '../ids.js';
import { INLINE_LOCATION, type StagedBlob } from '../blob-store.js';
import type { DeferredDeletes } from '../deferred-deletes.js';
import type { IdLength } from '../file-types.js';
import { DuplicateIdError, type FileRecord, type FileRepository } from '../records.js';

export const DEFAULT_ID_LENGTH: IdLength = { min: 8, max: 8 };

/**
 * How staged bytes become a file's blob: identical content already stored is referenced (the
 * copy discarded), small bodies go into the metadata with the file, others are committed to the
 * blob store and recorded in one transaction that decides, across processes and nodes, which
 * copy is the blob (a copy that lost is deleted). Each insert gets a fresh random id.
 */
export class BlobPublisher {
  constructor(
    private readonly repo: Pick<FileRepository, 'insertIfBlobExists' | 'insertWithBlobRef'>,
    private readonly deferredDeletes: DeferredDeletes,
  ) {}

  async publish(staged: StagedBlob, file: FileRecord, idLength: IdLength): Promise<void> {
    if (staged.inline) {
      // Small: the bytes go into the blob's row, in the same transaction as the file. Identical
      // content already stored is referenced by the same upsert (its row, and its location, kept):
      // no lookup first, which only pays for a body that would otherwise be written to the store.
      file.blobLocation = INLINE_LOCATION;
      const { location } = await this.withFreshId(
        file,
        () => this.repo.insertWithBlobRef(file, staged.inline),
        idLength,
      );
      file.blobLocation = location;
      return;
    }
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
  async withFreshId<T>(
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
}
