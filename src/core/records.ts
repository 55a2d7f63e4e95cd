/** Plain records the core works with; repositories map them to and from rows. */
export interface FileRecord {
  id: string;
  name: string;
  size: number;
  mimeType: string;
  /** SHA-256 of the content. */
  blobKey: string;
  /** Where the blob store keeps the bytes (shared by all files with this content), or INLINE_LOCATION. */
  blobLocation: string;
  ownerId: string | null;
  deleteKeyHash: string | null;
  createdAt: number;
  lastViewAt: number;
  views: number;
  downloads: number;
  bandwidthUsed: number;
}

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string | null;
  isAdmin: boolean;
  createdAt: number;
}

export interface ApiKeyRecord {
  keyHash: string;
  keyId: string;
  userId: string;
  appName: string;
  createdAt: number;
  creationIp: string;
  lastUsedAt: number;
}

export interface CounterDelta {
  downloads: number;
  bandwidth: number;
}

/** Metadata port for files and their blob references. */
export interface FileRepository {
  /**
   * In one transaction: take a reference on the blob of `file.blobKey` (creating its row with
   * `file.blobLocation` if there is none) and insert the file. Returns the location the row holds:
   * another one than offered means identical content was already stored. Rejects with
   * DuplicateIdError on an id clash (nothing changed).
   */
  insertWithBlobRef(file: FileRecord, inlineData?: Buffer): Promise<{ location: string }>;
  /** The bytes of a blob kept in the metadata; null when there is no such blob. */
  readInlineBlob(key: string): Promise<Buffer | null>;
  /**
   * The same, but only when a blob with this key is already stored (then the upload's own copy is
   * not needed at all); null, with nothing changed, otherwise.
   */
  insertIfBlobExists(file: FileRecord): Promise<{ location: string } | null>;
  get(id: string): Promise<FileRecord | null>;
  getMany(ids: readonly string[]): Promise<FileRecord[]>;
  /**
   * In one transaction: delete the file and drop its blob reference; at zero the blob row goes
   * too, and the caller removes the returned location from the blob store.
   */
  deleteAndReleaseBlob(id: string): Promise<{ location: string; blobUnreferenced: boolean } | null>;
  addCounters(deltas: ReadonlyMap<string, CounterDelta>, at: number): Promise<void>;
}

export interface UserRepository {
  insertUser(user: UserRecord): Promise<void>;
  findUserByName(username: string): Promise<UserRecord | null>;
  findUserById(id: string): Promise<UserRecord | null>;
  insertKey(key: ApiKeyRecord): Promise<void>;
  findKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  listKeys(userId: string): Promise<ApiKeyRecord[]>;
  deleteKey(keyHashOrId: string): Promise<boolean>;
  touchKey(keyHash: string, at: number): Promise<void>;
}

export class DuplicateIdError extends Error {
  constructor() {
    super('duplicate id');
  }
}
