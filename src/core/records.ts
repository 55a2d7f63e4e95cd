/** Plain records the core works with; repositories map them to and from rows. */
export interface FileRecord {
  id: string;
  name: string;
  size: number;
  mimeType: string;
  blobKey: string;
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
  /** In one transaction: take a reference on the blob (creating its row) and insert the file. Rejects with 'duplicate_id' on an id clash. */
  insertWithBlobRef(file: FileRecord): Promise<void>;
  get(id: string): Promise<FileRecord | null>;
  getMany(ids: readonly string[]): Promise<FileRecord[]>;
  /** In one transaction: delete the file and drop its blob reference. Returns whether the blob has no references left. */
  deleteAndReleaseBlob(id: string): Promise<{ blobKey: string; blobUnreferenced: boolean } | null>;
  /** References the metadata holds on a blob (0 when unknown). */
  blobRefcount(key: string): Promise<number>;
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
