import type { ColumnType, Generated } from 'kysely';

/**
 * Metadata tables. Times are epoch milliseconds in BIGINT columns (portable between SQLite and
 * PostgreSQL); booleans are 0/1 integers. Read numbers through `num()`: drivers may return
 * BIGINT as string.
 */
export interface Database {
  users: UsersTable;
  api_keys: ApiKeysTable;
  blobs: BlobsTable;
  files: FilesTable;
  lists: ListsTable;
  list_files: ListFilesTable;
  media: MediaTable;
  derived_images: DerivedImagesTable;
  file_attributes: FileAttributesTable;
  locks: LocksTable;
  file_traffic: FileTrafficTable;
  user_traffic: UserTrafficTable;
  settings: SettingsTable;
}

/** Instance-wide values shared by every node (the captcha's HMAC key). */
export interface SettingsTable {
  name: string;
  value: string;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string | null;
  is_admin: number;
  created_at: number;
  email: string | null;
  hotlinking_enabled: Generated<number>;
  hotlink_exempt: Generated<number>;
}

export interface ApiKeysTable {
  key_hash: string;
  /** Short public handle shown by `stowage key list` (the key itself is never stored). */
  key_id: string;
  user_id: string;
  app_name: string;
  created_at: number;
  creation_ip: string;
  last_used_at: number;
  user_agent: Generated<string>;
  /** basic | apikey | full (FileBin access levels; 0004). */
  access_level: Generated<string>;
}

/** One row per distinct content (key = SHA-256); `location` is where the blob store keeps it. */
export interface BlobsTable {
  key: string;
  location: string;
  size: number;
  refcount: number;
  data: Buffer | null;
  created_at: number;
  /** MD5 hex of the content, computed on first need (0004). */
  md5: Generated<string | null>;
}

export interface FilesTable {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  blob_key: string;
  owner_id: string | null;
  delete_key_hash: string | null;
  created_at: number;
  last_view_at: number;
  views: Generated<number>;
  downloads: Generated<number>;
  bandwidth_used: Generated<number>;
  /** Epoch ms after which the file is not served and is swept; null = never (0005). */
  expires_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** Bytes sent to exempt downloaders (0006). */
  bandwidth_paid: Generated<number>;
}

export interface ListsTable {
  id: string;
  title: string;
  owner_id: string | null;
  created_at: number;
  /** list | multipaste (0004). */
  kind: Generated<string>;
}

/** A list's entries, in order (`position` from 0). */
export interface ListFilesTable {
  list_id: string;
  position: number;
  file_id: string;
  description: Generated<string>;
}

/** Metadata extracted from a blob's content (width, duration...), once per content hash. */
export interface MediaTable {
  blob_key: string;
  kind: string;
  /** done | failed */
  status: string;
  width: number | null;
  height: number | null;
  animated: Generated<number>;
  duration_ms: number | null;
  taken_at: number | null;
  error: string | null;
  updated_at: number;
}

/** Images rendered from a blob (thumbnails, Chevereto thumb/medium/frame), kept in the blob store. */
export interface DerivedImagesTable {
  blob_key: string;
  variant: string;
  location: string;
  size: number;
  width: number;
  height: number;
  created_at: number;
}

export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Descriptive attributes of a file (Chevereto's title, description...), deleted with the file. */
export interface FileAttributesTable {
  file_id: string;
  title: string | null;
  description: string | null;
  /** JSON array of strings. */
  tags: Generated<string>;
  category_id: string | null;
  nsfw: Generated<number>;
}

/** Named leases: one holder at a time until `expires_at` (epoch ms), renewed by the holder. */
export interface LocksTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** One time series bucket: `resolution` minutes starting at `bucket` (epoch ms) (0007). */
export interface TrafficBucket {
  resolution: number;
  bucket: number;
  views: number;
  downloads: number;
  bandwidth: number;
  bandwidth_paid: number;
}

/** Traffic per file, in buckets. */
export interface FileTrafficTable extends TrafficBucket {
  file_id: string;
}

/** The same per owner, summed over their files. */
export interface UserTrafficTable extends TrafficBucket {
  user_id: string;
}
