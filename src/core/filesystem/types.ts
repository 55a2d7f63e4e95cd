import type { FileRecord } from '../records.js';

export type NodeType = 'dir' | 'file';

/** The content a write meant to reference is gone (deleted since it was looked up): stage it. */
export class BlobGone extends Error {}

/** What a caller may do under a bucket (pixeldrain's permission object). */
export interface Permissions {
  owner: boolean;
  read: boolean;
  write: boolean;
  delete: boolean;
}

/** A node as stored. `path` is relative to the owner's root: '' is the root, '/docs/a.txt' a file. */
export interface FsNodeRecord {
  id: string;
  ownerId: string;
  parentId: string | null;
  path: string;
  name: string;
  type: NodeType;
  depth: number;
  /** Epoch milliseconds. */
  createdAt: number;
  modifiedAt: number;
  /** When the server last wrote the content. */
  updatedAt: number;
  /** Permission bits (0o644). */
  mode: number;
  size: number;
  blobKey: string | null;
  /** Where the blob's bytes are (joined from blobs); null for directories. */
  blobLocation: string | null;
  mimeType: string | null;
  shareId: string | null;
  linkPermissions: Partial<Permissions> | null;
  userPermissions: Record<string, Partial<Permissions>> | null;
  passwordPermissions: Record<string, Partial<Permissions>> | null;
  properties: Record<string, string> | null;
  /** The blob's virus scan result (from blobs). */
  scanStatus?: string | null;
}

/** The parent of a listing: what its children's records take from it (owner, parent, depth). */
export type ListedParent = Pick<FsNodeRecord, 'id' | 'ownerId' | 'depth'>;

/** Downloads started and bytes sent. */
export interface NodeTraffic {
  downloads: number;
  bytes: number;
}

/** A change for the change log (rclone's ChangeNotify). */
export interface FsChange {
  at: number;
  path: string;
  pathNew: string;
  action: 'created' | 'updated' | 'moved' | 'deleted';
  type: NodeType;
}

/** The content a file node takes: a blob already counted, or one this write adds. */
export interface BlobRef {
  key: string;
  size: number;
  mimeType: string;
  /** Where our staged copy is (null: the content is known, only a reference is taken). */
  location: string | null;
  /** The bytes of a small blob kept in the metadata. */
  inline?: Buffer;
}

/** A blob whose last reference a write dropped: its bytes can go. */
export interface ReleasedBlob {
  key: string;
  location: string;
}

/** The fields a new or overwritten file node gets. */
export interface FileWrite {
  ownerId: string;
  path: string;
  name: string;
  createdAt: number | null;
  modifiedAt: number;
  now: number;
  mode: number;
  makeParents: boolean;
  blob: BlobRef;
  /** New node ids (the file, and any parents made). */
  newId(): string;
}

export interface FileWriteResult {
  node: FsNodeRecord;
  /** Where the blob's bytes are (ours, or the copy that was there first). */
  location: string;
  released: ReleasedBlob | null;
}

/** Storage of the trees (SQLite and PostgreSQL). Each write is one transaction. */
export interface FsRepository {
  /** The owner's root node, made on first use. */
  root(ownerId: string, now: number, newId: () => string): Promise<FsNodeRecord>;
  get(ownerId: string, path: string): Promise<FsNodeRecord | null>;
  /** Whether content with this key is stored (a write may then take a reference only). */
  hasBlob(key: string): Promise<boolean>;
  /** The nodes at these paths (ancestors for a stat), in no particular order. */
  getMany(ownerId: string, paths: readonly string[]): Promise<FsNodeRecord[]>;
  byShareId(shareId: string): Promise<FsNodeRecord | null>;
  /**
   * A node, the nodes at `ancestors` (those that exist) and its children, read in one snapshot:
   * a move or delete committing meanwhile is seen wholly or not at all. The children are a
   * listing (see `children`): their blobs are not read.
   */
  statOf(
    ownerId: string,
    path: string,
    ancestors: readonly string[],
  ): Promise<{ node: FsNodeRecord; ancestors: FsNodeRecord[]; children: FsNodeRecord[] } | null>;
  /**
   * A directory's children, for its listing: up to 10,000 nodes in one query, so their blobs are
   * not read (`blobLocation` and `scanStatus` are null; `get` a file to send or thumbnail it).
   */
  children(parent: ListedParent): Promise<FsNodeRecord[]>;
  /** The caller's shared nodes. */
  sharedBy(ownerId: string): Promise<FsNodeRecord[]>;
  /** Add downloads and bytes sent to file nodes (by id; a node gone meanwhile is skipped). */
  addTraffic(deltas: ReadonlyMap<string, NodeTraffic>): Promise<void>;
  /** Downloads and bytes sent of the node at `path`, or of all file nodes at and below it. */
  trafficOf(ownerId: string, path: string): Promise<NodeTraffic & { ids: string[] }>;
  /** Nodes under `base` whose name contains `term` (case-insensitive), at most `limit`. */
  search(ownerId: string, base: string, term: string, limit: number): Promise<FsNodeRecord[]>;
  /** Every file node under `base` (for zips), in path order, at most `limit`. */
  filesUnder(ownerId: string, base: string, limit: number): Promise<FsNodeRecord[]>;
  /** Make directories (`paths`, parents first); existing ones are kept. Returns the last. */
  mkdirs(
    ownerId: string,
    paths: readonly string[],
    fields: { now: number; mode: number; exclusiveLast: boolean; newId(): string },
  ): Promise<FsNodeRecord>;
  putFile(write: FileWrite): Promise<FileWriteResult>;
  /** Move (rename) a node and its subtree. */
  move(
    ownerId: string,
    from: string,
    to: string,
    opts: { makeParents: boolean; now: number; newId(): string },
  ): Promise<FsNodeRecord>;
  update(
    ownerId: string,
    path: string,
    fields: Partial<
      Pick<
        FsNodeRecord,
        | 'createdAt'
        | 'modifiedAt'
        | 'mode'
        | 'shareId'
        | 'linkPermissions'
        | 'userPermissions'
        | 'passwordPermissions'
        | 'properties'
      >
    >,
    now: number,
  ): Promise<FsNodeRecord>;
  /** Delete a node (with its subtree when `recursive`); the blobs whose last reference went. */
  delete(
    ownerId: string,
    path: string,
    opts: { recursive: boolean; now: number; wholeTree?: boolean },
  ): Promise<ReleasedBlob[]>;
  /** Add nodes for existing files (import): each takes a reference on its file's blob. */
  importFiles(
    ownerId: string,
    dir: string,
    files: readonly FileRecord[],
    opts: { now: number; newId(): string },
  ): Promise<void>;
  changes(ownerId: string, start: number, end: number, limit: number): Promise<FsChange[]>;
  pruneChanges(before: number): Promise<number>;
  /** Bytes and count of the owner's file nodes (quotas). */
  usageOf(ownerId: string): Promise<{ count: number; bytes: number }>;
}
