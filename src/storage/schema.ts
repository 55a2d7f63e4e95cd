import type { Generated } from 'kysely';

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
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string | null;
  is_admin: number;
  created_at: number;
  email: string | null;
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
}

/** One row per distinct content (key = SHA-256); `location` is where the blob store keeps it. */
export interface BlobsTable {
  key: string;
  location: string;
  size: number;
  refcount: number;
  data: Buffer | null;
  created_at: number;
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
}

export interface ListsTable {
  id: string;
  title: string;
  owner_id: string | null;
  created_at: number;
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
