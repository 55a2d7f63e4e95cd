/** A resumable (tus) upload as the metadata knows it, from creation until it expires. */
export interface ResumableRecord {
  id: string;
  /** null: anonymous (the upload URL is the capability). */
  ownerId: string | null;
  ownerIp: string | null;
  /** The declared length (Upload-Length). */
  length: number;
  /** The checked file name (Upload-Metadata `filename`). */
  name: string;
  createdAt: number;
  /** Unfinished: last write + the expiry. Finished: when the record goes. */
  expiresAt: number;
  /** The file it became (null while unfinished). */
  fileId: string | null;
  finishedAt: number | null;
}

/** Who holds unfinished uploads: an account, or (anonymous) an address. */
export type PendingOwner = { ownerId: string } | { ip: string };

/** Port: the uploads' rows (shared by every process and node). */
export interface ResumableRepository {
  insert(record: ResumableRecord): Promise<void>;
  get(id: string): Promise<ResumableRecord | null>;
  /** Unfinished uploads of an owner that have not expired at `now`: how many, declared bytes. */
  pendingOf(owner: PendingOwner, now: number): Promise<{ count: number; bytes: number }>;
  /** Push an unfinished upload's expiry (a write happened). */
  touch(id: string, expiresAt: number): Promise<void>;
  /** Record the file an upload became; false if it was finished already (or is gone). */
  finish(id: string, fileId: string, finishedAt: number, expiresAt: number): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Up to `limit` records whose expiry is at or before `now`. */
  expired(now: number, limit: number): Promise<ResumableRecord[]>;
  /** Unfinished uploads of an account (its deletion removes their bytes). */
  unfinishedOf(ownerId: string): Promise<string[]>;
}

/**
 * Port: where an upload's bytes are while it is unfinished (the tus data store's side). The HTTP
 * adapter writes them through the tus server; the core only needs these.
 */
export interface ResumableBytes {
  /** What `BlobStore.adopt` names this upload's bytes by (a staging path, an object key). */
  refOf(id: string): string;
  /** The SHA-256 computed while the bytes arrived, if every byte went through this process in order. */
  sha256Of?(id: string, size: number): string | undefined;
  /** Remove what is left of an upload (bytes, tus metadata); nothing there is fine. */
  remove(id: string): Promise<void>;
}
