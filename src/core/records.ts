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
  /** Bytes of bandwidthUsed sent to exempt downloaders (pixeldrain's bandwidth_used_paid). */
  bandwidthPaid: number;
  /** Epoch ms from which the file is no longer served (then swept); absent or null = never. */
  expiresAt?: number | null;
  /** Address the upload came from (absent: unknown). */
  uploaderIp?: string | null;
  /** Blocked by an admin: pixeldrain's abuse_type (absent or null: not blocked) and the reason. */
  abuseType?: string | null;
  blockReason?: string | null;
  blockedAt?: number | null;
  /** Inactivity expiry timer: the upload time, moved by downloads that reset it (absent: createdAt). */
  lastDownloadAt?: number | null;
  /**
   * Virus scan of the content (read from the blob; absent or null: not scanned yet): clean |
   * infected | error | unscanned (too large for the scanner).
   */
  scanStatus?: string | null;
  /** The signature name when infected. */
  scanSignature?: string | null;
}

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string | null;
  isAdmin: boolean;
  createdAt: number;
  email: string | null;
  /** The uploader allows hotlinking of their files (absent: false). */
  hotlinkingEnabled?: boolean;
  /** The operator exempts this account's downloads from the hotlink rule (absent: false). */
  hotlinkExempt?: boolean;
  /** Disabled by an admin: no login, keys refused (absent: false). */
  disabled?: boolean;
  /** Per-account limits: null/absent = the instance default, -1 = unlimited. */
  storageQuota?: number | null;
  dailyUploadQuota?: number | null;
  maxFiles?: number | null;
  /** The account's files never expire for inactivity (absent: false). */
  expiryExempt?: boolean;
  /** Links to the viewer of its files go straight to the file (absent: false). */
  skipFileViewer?: boolean;
  /** Host names that may frame the viewer of its files (absent: none). */
  embedDomains?: string[];
}

/** Account flags an admin (or the account itself, for hotlinkingEnabled) may change. */
export type UserFlags = Pick<
  UserRecord,
  'hotlinkingEnabled' | 'hotlinkExempt' | 'disabled' | 'isAdmin' | 'expiryExempt'
>;

/** Per-account limits (null = the instance default, -1 = unlimited). */
export type UserLimits = Pick<UserRecord, 'storageQuota' | 'dailyUploadQuota' | 'maxFiles'>;

/** FileBin's key levels, lowest first: basic (upload, multipaste) < apikey (+ history, delete) < full. */
export type AccessLevel = 'basic' | 'apikey' | 'full';
export const ACCESS_LEVELS: readonly AccessLevel[] = ['basic', 'apikey', 'full'];

export interface ApiKeyRecord {
  keyHash: string;
  keyId: string;
  userId: string;
  appName: string;
  createdAt: number;
  creationIp: string;
  lastUsedAt: number;
  userAgent: string;
  /** What the key may do (FileBin access levels); pixeldrain sessions are `full`. */
  accessLevel: AccessLevel;
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
   * too, and the caller removes the returned location from the blob store. Every multipaste
   * containing the file is deleted in the same transaction (lists only lose the entry).
   */
  deleteAndReleaseBlob(id: string): Promise<{ location: string; blobUnreferenced: boolean } | null>;
  /** A user's files, newest first, at most `limit`. */
  listByOwner(ownerId: string, limit: number): Promise<FileRecord[]>;
  /** How many files a user has and their total size. */
  usageOf(ownerId: string): Promise<{ count: number; bytes: number }>;
  rename(id: string, name: string): Promise<boolean>;
  /** Files whose expiry time is at or before `now`, oldest expiry first, at most `limit`. */
  listExpired(now: number, limit: number): Promise<FileRecord[]>;
  /** The stored MD5 (hex) of these blobs' contents, by blob key; blobs not hashed yet are absent. */
  md5Of(blobKeys: readonly string[]): Promise<Map<string, string>>;
  /** Remember a blob's MD5 (no-op if the blob is gone). */
  setMd5(blobKey: string, md5: string): Promise<void>;
  /** Total size of the distinct contents a user's files hold (shared content counted once). */
  distinctBytesOf(ownerId: string): Promise<number>;
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
  findUserByEmail(email: string): Promise<UserRecord | null>;
  /** Rejects with UniqueViolation when the new username or e-mail is taken. */
  updateUser(
    id: string,
    changes: Partial<Pick<UserRecord, 'username' | 'email' | 'passwordHash'>>,
  ): Promise<void>;
  /** The user, its keys and its lists (files are deleted by the caller first). */
  deleteUser(id: string): Promise<void>;
  /** Set account flags; false when there is no such user. */
  setUserFlags(id: string, flags: Partial<UserFlags>): Promise<boolean>;
  /** Set per-account limits (undefined: unchanged); false when there is no such user. */
  setUserLimits(id: string, limits: Partial<UserLimits>): Promise<boolean>;
  /** Set sharing settings (undefined: unchanged); false when there is no such user. */
  setSharing(
    id: string,
    settings: Partial<Pick<UserRecord, 'skipFileViewer' | 'embedDomains'>>,
  ): Promise<boolean>;
}

/** `list`: a pixeldrain list (files drop out when deleted); `multipaste`: FileBin's, deleted with any of its files. */
export type ListKind = 'list' | 'multipaste';

export interface ListRecord {
  id: string;
  title: string;
  ownerId: string | null;
  createdAt: number;
  /** Absent means `list`. */
  kind?: ListKind;
}

export interface ListEntryInput {
  fileId: string;
  description: string;
}

export interface ListEntry {
  file: FileRecord;
  description: string;
}

export interface ListSummary extends ListRecord {
  fileCount: number;
}

/** Metadata port for lists. Entries whose file is deleted drop out of their lists. */
export interface ListRepository {
  /** Ids among these that exist as files. */
  existingFileIds(ids: readonly string[]): Promise<Set<string>>;
  /** The owner of each of these files that exists (null: anonymous), by file id. */
  fileOwners(ids: readonly string[]): Promise<Map<string, string | null>>;
  /** Rejects with DuplicateIdError on an id clash, MissingFileError if a file vanished meanwhile. */
  insert(list: ListRecord, entries: readonly ListEntryInput[]): Promise<void>;
  get(id: string): Promise<ListRecord | null>;
  entries(id: string): Promise<ListEntry[]>;
  /** Replace title and entries; false if the list does not exist. */
  update(id: string, title: string, entries: readonly ListEntryInput[]): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** A user's lists of kind `list`, newest first. */
  listByOwner(ownerId: string, limit: number): Promise<ListSummary[]>;
  /** A user's multipastes, oldest first, each with its file ids in order. */
  multipastesOf(ownerId: string): Promise<{ list: ListRecord; fileIds: string[] }[]>;
}

/** A file named in a list write was deleted between the check and the write. */
export class MissingFileError extends Error {
  constructor() {
    super('a file of the list does not exist');
  }
}

/** A username or e-mail address is already taken. */
export class UniqueViolation extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} taken`);
  }
}

export class DuplicateIdError extends Error {
  constructor() {
    super('duplicate id');
  }
}
