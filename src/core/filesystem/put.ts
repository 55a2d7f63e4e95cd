import type { Readable } from 'node:stream';
import type { Principal } from '../accounts.js';
import { INLINE_LOCATION } from '../blob-store.js';
import { CoreError, isUnavailable } from '../errors.js';
import type { FileService, StagedUpload } from '../files.js';
import { detectMediaType } from '../media-type.js';
import type { BucketView } from './access.js';
import { asFile } from './as-file.js';
import { FsError } from './errors.js';
import { nameOf } from './paths.js';
import {
  BlobGone,
  type BlobRef,
  type FileWriteResult,
  type FsNodeRecord,
  type FsRepository,
} from './types.js';

export interface PutOptions {
  makeParents: boolean;
  /** Epoch ms; the upload time when absent. */
  modified?: number;
  created?: number;
  mode?: number;
  /** The size the request declares (refused early when over the limit). */
  declaredSize: number | null;
  uploaderIp: string | null;
  /**
   * Called once every check that needs no body has passed, right before the body is read (the
   * HTTP layer answers `Expect: 100-continue` there, so a refused client never sends the body).
   */
  beforeBody?: () => void;
}

/** Concurrent writers of one new path: one insert wins, the others overwrite after it. */
function isUniqueRace(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

interface Deps {
  repo: FsRepository;
  files: FileService;
  now: number;
  newId(): string;
}

/**
 * A file node from a request body: checked before a byte is read, staged (hashed in the same
 * pass, size-limited), screened and admitted by the quotas, then published in one transaction.
 * Nothing is visible until that transaction commits; a refusal or a failure leaves nothing behind.
 */
export async function writeFile(
  deps: Deps,
  req: {
    view: BucketView;
    principal: Principal | null;
    path: string;
    body: Readable;
    opts: PutOptions;
  },
): Promise<FsNodeRecord> {
  const { files } = deps;
  const { opts } = req;
  // A share may let anyone write, but not where the operator accepts no anonymous uploads.
  if (!req.principal && !files.allowsAnonymousUploads) {
    throw new CoreError('authentication_required', 'An API key is required to upload files');
  }
  if (opts.declaredSize !== null && opts.declaredSize > files.maxFileSize) {
    throw new CoreError('file_too_large', 'The file you tried to upload is too large', {
      max_size: files.maxFileSize,
    });
  }
  // The tree's owner pays for its content (quotas); a stranger writing into a share is counted
  // as their own uploads would be.
  const payer = req.view.isOwner ? req.principal : null;
  await files.checkUploadQuota(payer, opts.declaredSize, {
    ip: opts.uploaderIp,
    anonymous: !req.view.isOwner,
  });
  opts.beforeBody?.();
  const staged = await files.stage(req.body);
  try {
    await files.admitStaged(payer, opts.uploaderIp, staged);
  } catch (err) {
    await staged.discard();
    throw err;
  }
  const mimeType = await detectMediaType(nameOf(req.path), staged.blob.head);
  const result = await publish(deps, req, staged, mimeType);
  if (result.released) await files.releaseBlob(result.released.key, result.released.location);
  return result.node;
}

async function publish(
  deps: Deps,
  req: { view: BucketView; path: string; opts: PutOptions },
  staged: StagedUpload,
  mimeType: string,
): Promise<FileWriteResult> {
  const { repo, files } = deps;
  const blob = staged.blob;
  const write = (ref: BlobRef) =>
    retryRace(() =>
      repo.putFile({
        ownerId: req.view.ownerId,
        path: req.path,
        name: nameOf(req.path),
        createdAt: req.opts.created ?? null,
        modifiedAt: req.opts.modified ?? deps.now,
        now: deps.now,
        mode: req.opts.mode ?? 0o644,
        makeParents: req.opts.makeParents,
        blob: ref,
        newId: deps.newId,
      }),
    );
  const ref = { key: blob.key, size: blob.size, mimeType };
  // Identical content already stored: take a reference, and our copy was never published.
  if (await repo.hasBlob(blob.key).catch(() => false)) {
    try {
      const out = await write({ ...ref, location: null });
      await staged.discard();
      return out;
    } catch (err) {
      if (!(err instanceof BlobGone)) {
        await staged.discard();
        throw unwrap(err);
      }
      // Deleted in between: ours becomes the content.
    }
  }
  if (blob.inline) {
    try {
      const out = await write({ ...ref, location: INLINE_LOCATION, inline: blob.inline });
      files.announceStored(asFile(out.node, out.location));
      return out;
    } catch (err) {
      throw unwrap(err);
    }
  }
  let ours: string;
  try {
    ours = await blob.commit();
  } catch (err) {
    await staged.discard();
    throw err;
  }
  try {
    const out = await write({ ...ref, location: ours });
    // The same content was published concurrently and won: ours is referenced by nothing.
    if (out.location !== ours) await files.discardCopy(ours);
    files.announceStored(asFile(out.node, out.location));
    return out;
  } catch (err) {
    // Unless the connection was lost (the commit may have happened), our copy is unreferenced.
    if (!isUnavailable(err)) await files.discardCopy(ours);
    throw unwrap(err);
  }
}

async function retryRace<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt < 3 && isUniqueRace(err)) continue;
      throw err;
    }
  }
}

/** Storage errors other than the filesystem's own become the upload failure files report. */
function unwrap(err: unknown): unknown {
  if (err instanceof FsError || err instanceof CoreError || isUnavailable(err)) return err;
  return new CoreError('storage_failed', 'Something went wrong while saving the file', undefined, {
    cause: err,
  });
}
