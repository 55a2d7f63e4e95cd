import type { AccountService } from './accounts.js';
import type { UserSettingsService } from './user-settings.js';
import type { FileService } from './files.js';
import type { ListService } from './lists.js';
import type { MediaService } from './media/service.js';
import type { SharedState } from './shared-state.js';
import type { ExpirySweeper } from './expiry.js';
import type { UrlUploads } from './url-uploads/index.js';
import type { UploadService } from './uploads.js';
import type { Readiness } from './readiness.js';
import type { RulesService, SeriesRollup, SeriesService, TrafficService } from './traffic/index.js';
import type { LiveStats } from './traffic/live-stats.js';
import type { Telemetry } from './telemetry.js';
import type { ScanService, ScanSweep } from './scanning/index.js';
import type { AuditLog } from './moderation/audit.js';
import type { Limits } from './limits/index.js';
import type { ReportService } from './moderation/reports.js';
import type { BlockService } from './moderation/blocks.js';
import type { AdminSearch } from './moderation/admin-search.js';
import type { AdminUsers } from './moderation/admin-users.js';
import type { ReporterIpHasher } from './moderation/reporter-ips.js';
import type { FilesystemService } from './filesystem/index.js';
import type { ChangeLogPruner } from './filesystem/prune.js';
import type { ResumableService } from './resumable/index.js';
import type { ResumableSweep } from './resumable/sweep.js';

/** Everything the adapters (HTTP dialects, CLI) may call. */
export interface Core {
  files: FileService;
  /** Views, downloads and bandwidth (and, built on them, the download rules). */
  traffic: TrafficService;
  /** Download rules: the hotlink rule, the captcha, per-IP limits. */
  rules: RulesService;
  accounts: AccountService;
  /** An account's sharing settings (skip the viewer, sites that may embed it). */
  userSettings: UserSettingsService;
  lists: ListService;
  media: MediaService;
  /** State shared between nodes (in-process on a single node). */
  state: SharedState;
  /** Uploads with options: expiry, attributes, album, resize. */
  uploads: UploadService;
  /** Uploads fetched from URLs (off unless the configuration allows them). */
  urlUploads: UrlUploads;
  /** Deletes expired files (on an interval in serving processes; `runOnce` on demand). */
  expiry: ExpirySweeper;
  /** Events for monitoring (no-op unless metrics are enabled). */
  telemetry: Telemetry;
  /** Whether the backends (database, blob store, Redis) can be reached now. */
  readiness: Readiness;
  /** Time series of files' and users' traffic (queries). */
  series: SeriesService;
  /** Rolls aged time series buckets up (on an interval in serving processes; one node at a time). */
  seriesRollup: SeriesRollup;
  /** Live counters for the viewer's file_stats websocket (one poll timer for all subscriptions). */
  liveStats: LiveStats;
  /** Virus scanning of stored blobs (null: STOWAGE_CLAMAV unset). */
  scanning: ScanService | null;
  /** Scans blobs left without a result (on an interval in serving processes; one node at a time). */
  scanSweep: ScanSweep | null;
  /** Every admin action (who, what, when, why). */
  audit: AuditLog;
  /** Upload quotas, registration invites, inactivity expiry. */
  limits: Limits;
  /** Abuse reports (anyone files them, admins resolve them). */
  reports: ReportService;
  /** Admin blocks of files and of content hashes. */
  blocks: BlockService;
  /** The admin area's searches and the instance's totals. */
  adminSearch: AdminSearch;
  /** Accounts as admins manage them (disable, role, delete, password). */
  adminUsers: AdminUsers;
  /** Hashes reporters' addresses after 30 days (on an interval in serving processes). */
  reporterIps: ReporterIpHasher;
  /** pixeldrain's filesystem: each account's tree of directories and files, and shares of it. */
  filesystem: FilesystemService;
  /** Drops the filesystem's change log past 30 days (hourly in serving processes; one node at a time). */
  fsChangePrune: ChangeLogPruner;
  /** Resumable (tus) uploads (null: not available with this blob store). */
  resumable: ResumableService | null;
  /** Removes expired resumable uploads (on an interval in serving processes; one node at a time). */
  tusSweep: ResumableSweep | null;
}
