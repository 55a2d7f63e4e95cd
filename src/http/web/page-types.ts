// The data contract between the server's page routes and the Svelte pages (web/src): what each
// page is rendered with on the server and hydrated with in the browser. Types only.

export type PageName =
  'home' | 'viewer' | 'account' | 'auth' | 'about' | 'error' | 'admin' | 'filesystem';

export type Theme = 'auto' | 'light' | 'dark';

/** The logged-in visitor, as the pages need them (never the key: the cookie is HttpOnly). */
export interface SessionUser {
  id: string;
  username: string;
  isAdmin: boolean;
}

/** What every page knows about this instance. */
export interface Instance {
  name: string;
  anonymousUploads: boolean;
  registration: 'open' | 'closed' | 'invite';
  /** Largest upload, in bytes. */
  maxFileSize: number;
  /** The server fetches uploads from URLs (STOWAGE_URL_UPLOADS). */
  urlUploads: boolean;
  /** Files larger than `threshold` bytes go through tus (/api/tus) in `chunkSize` PATCHes. */
  resumable: { threshold: number; chunkSize: number };
}

export interface CommonProps {
  user: SessionUser | null;
  instance: Instance;
  theme: Theme;
  /** The request's path and query, for "log in and come back" links. */
  path: string;
}

/** pixeldrain's `window.viewer_data` (spec 7.2): download tools parse it from the first script. */
export interface ViewerData {
  type: 'file' | 'list';
  /** FileInfo, or ListInfo (a virtual one for /u/a,b,c), as the API renders it. */
  api_response: Record<string, unknown>;
  captcha_key: string;
  embedded: boolean;
  user_ads_enabled: boolean;
  theme_uri: string;
}

export interface ViewerProps extends CommonProps {
  viewer_data: ViewerData;
  /** The origin shared links use (STOWAGE_PUBLIC_URL or the request's host). */
  origin: string;
  /** Sites the owner lets frame this viewer (pixeldrain's embed_domains; [] = this site only). */
  embedDomains: string[];
}

export type AccountSection = 'files' | 'lists' | 'keys' | 'settings';

export interface AccountProps extends CommonProps {
  section: AccountSection;
  /** Id of the API key this browser is logged in with (marks "this session" among the keys). */
  currentKeyId: string | null;
}

export interface AuthProps extends CommonProps {
  mode: 'login' | 'register';
  /** Where to go after logging in: a local path only. */
  redirect: string;
  /** An invite code from the link (`/register?invite=…`), '' if none. */
  invite: string;
}

export interface AboutProps extends CommonProps {
  limits: {
    maxFileSize: number;
    anonymousUploads: boolean;
    registration: 'open' | 'closed' | 'invite';
    urlUploads: boolean;
    /** Files per multi-file request (zips, info). */
    maxIdsPerRequest: number;
    /** Bytes an account may keep (0 = unlimited). */
    storageQuota: number;
    /** Uploads without an account per address and day (0 = unlimited). */
    anonDailyUploads: number;
    /** Days without a download after which a file is deleted (0 = never). */
    fileExpiryDays: number;
  };
  version: string;
}

export interface ErrorProps extends CommonProps {
  status: number;
  title: string;
  message: string;
}

/** The admin area's sections (/admin/{tab}; /admin is the overview). */
export type AdminTab = 'overview' | 'reports' | 'files' | 'hashes' | 'users' | 'invites' | 'audit';

export interface AdminProps extends CommonProps {
  tab: AdminTab;
}

/** A node's access for the visitor (pixeldrain's permission object). */
export interface FsPermissions {
  owner: boolean;
  read: boolean;
  write: boolean;
  delete: boolean;
}

/** pixeldrain's filesystem node (spec 5): `path` starts with the bucket (`/me/…`, `/{id}/…`). */
export interface FsNode {
  type: 'file' | 'dir';
  path: string;
  name: string;
  created: string;
  modified: string;
  mode_octal: string;
  file_size: number;
  file_type: string;
  sha256_sum: string;
  /** The public id, only when shared (`/d/{id}`). */
  id?: string;
  [key: string]: unknown;
}

/** The stat of a path (`GET /api/filesystem/{path}?stat`), also `window.initial_node`. */
export interface FsStat {
  /** The nodes from the bucket's root to the node itself. */
  path: FsNode[];
  /** Index of the node itself in `path`. */
  base_index: number;
  children: FsNode[];
  permissions: FsPermissions;
  context: Record<string, unknown>;
}

export interface FilesystemProps extends CommonProps {
  /** pixeldrain's `window.initial_node`: the stat of the page's path. */
  initial_node: FsStat;
  /** The origin shared links use. */
  origin: string;
}

export interface PagePropsMap {
  home: CommonProps;
  viewer: ViewerProps;
  account: AccountProps;
  auth: AuthProps;
  about: AboutProps;
  error: ErrorProps;
  admin: AdminProps;
  filesystem: FilesystemProps;
}
