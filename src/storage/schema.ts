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
  blocked_hashes: BlockedHashesTable;
  abuse_reports: AbuseReportsTable;
  audit_log: AuditLogTable;
  invites: InvitesTable;
  fs_nodes: FsNodesTable;
  fs_changes: FsChangesTable;
  tus_uploads: TusUploadsTable;
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
  /** Disabled by an admin: cannot log in, keys refused, uploads refused (0009). */
  disabled: Generated<number>;
  /** Per-account limits; null = the instance default, -1 = unlimited (0009). */
  storage_quota: ColumnType<number | null, number | null | undefined, number | null>;
  daily_upload_quota: ColumnType<number | null, number | null | undefined, number | null>;
  max_files: ColumnType<number | null, number | null | undefined, number | null>;
  /** The account's files never expire for inactivity (0009). */
  expiry_exempt: Generated<number>;
  /** Links to the viewer of its files go straight to the file (0012). */
  skip_file_viewer: Generated<number>;
  /** Host names that may frame the viewer of its files, space-separated (0012). */
  embed_domains: Generated<string>;
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
  /**
   * Virus scan of this content (0009): null = not scanned yet; clean | infected | error |
   * unscanned (larger than the scanner accepts: never reported clean).
   */
  scan_status: ColumnType<string | null, string | null | undefined, string | null>;
  /** The signature name when infected; the error when status is error. */
  scan_signature: ColumnType<string | null, string | null | undefined, string | null>;
  /** The scanner's version string (clamd VERSION). */
  scan_engine: ColumnType<string | null, string | null | undefined, string | null>;
  scanned_at: ColumnType<number | null, number | null | undefined, number | null>;
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
  /** Address the upload came from (admin search, anonymous limits) (0009). */
  uploader_ip: ColumnType<string | null, string | null | undefined, string | null>;
  /** Blocked by an admin: pixeldrain's abuse_type (non-empty = blocked) and the reason shown (0009). */
  abuse_type: ColumnType<string | null, string | null | undefined, string | null>;
  block_reason: ColumnType<string | null, string | null | undefined, string | null>;
  blocked_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** Inactivity expiry timer: the upload time, moved by a download that resets it (0009). */
  last_download_at: ColumnType<number | null, number | null | undefined, number | null>;
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

/** Content that may not be uploaded again (0009). */
export interface BlockedHashesTable {
  /** SHA-256 hex. */
  blob_key: string;
  reason: string;
  created_at: number;
  /** Actor name (admin username, or "cli"). */
  created_by: string;
}

/** An abuse report on a file (0009). */
export interface AbuseReportsTable {
  id: string;
  file_id: string;
  type: string;
  description: string;
  /** The reporter's address; "sha256:<hex>" of it after 30 days. */
  reporter_ip: string;
  reporter_user_id: string | null;
  created_at: number;
  /** open | resolved | dismissed */
  status: Generated<string>;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
}

/** Every admin action (0009). */
export interface AuditLogTable {
  id: string;
  at: number;
  /** The admin's user id; null for the command line. */
  actor_id: string | null;
  /** The admin's username, or "cli". */
  actor_name: string;
  /** e.g. file.block, file.unblock, file.delete, hash.block, user.disable, report.resolve */
  action: string;
  /** file | user | hash | report | invite | instance */
  target_type: string;
  target_id: string;
  reason: Generated<string>;
  /** JSON object. */
  details: Generated<string>;
}

/** Single-use registration invites (0009). */
export interface InvitesTable {
  /** SHA-256 hex of the code. */
  code_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by: string | null;
}

/** The filesystem API's nodes (0010). */
export interface FsNodesTable {
  id: string;
  owner_id: string;
  parent_id: string | null;
  /** Relative to the owner's root: '' is the root, '/docs/a.txt' a file. */
  path: string;
  name: string;
  type: 'dir' | 'file';
  depth: number;
  created_at: number;
  modified_at: number;
  updated_at: number;
  mode: number;
  size: Generated<number>;
  downloads: Generated<number>;
  transfer: Generated<number>;
  blob_key: string | null;
  mime_type: string | null;
  share_id: string | null;
  link_permissions: string | null;
  user_permissions: string | null;
  password_permissions: string | null;
  properties: string | null;
}

/** The filesystem's change log (0010). */
export interface FsChangesTable {
  id: string;
  owner_id: string;
  at: number;
  path: string;
  path_new: Generated<string>;
  action: string;
  type: string;
}

/** Resumable (tus) uploads, from creation until they expire (0011). */
export interface TusUploadsTable {
  id: string;
  owner_id: string | null;
  owner_ip: string | null;
  length: number;
  name: string;
  created_at: number;
  expires_at: number;
  file_id: string | null;
  finished_at: number | null;
}
