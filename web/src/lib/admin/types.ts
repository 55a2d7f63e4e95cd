// The admin API's shapes (/api/admin, see the admin API contract), as the admin pages read them.
import type { TimeSeries } from '../chart';

export interface Stats {
  files: number;
  file_bytes: number;
  blobs: number;
  blob_bytes: number;
  users: number;
  reports_open: number;
  files_blocked: number;
  hashes_blocked: number;
  scans: { pending: number; clean: number; infected: number; error: number; unscanned: number };
}

export type ReportStatus = 'open' | 'resolved' | 'dismissed';

export interface Report {
  id: string;
  file_id: string;
  /** Null once the file is deleted. */
  file_name: string | null;
  file_abuse_type: string;
  type: string;
  description: string;
  reporter_ip: string;
  created: string;
  status: ReportStatus;
  resolved: string | null;
  resolved_by: string | null;
  resolution: string | null;
}

export interface ScanResult {
  status: string | null;
  signature: string | null;
  engine: string | null;
  scanned_at: string | null;
}

export interface AdminFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  hash_sha256: string;
  date_upload: string;
  owner: { id: string; username: string } | null;
  uploader_ip: string | null;
  views: number;
  downloads: number;
  bandwidth_used: number;
  bandwidth_used_paid: number;
  abuse_type: string | null;
  block_reason: string | null;
  blocked_at: string | null;
  scan: ScanResult | null;
  delete_after_date: string | null;
  date_last_download: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string;
  reason: string;
  details: Record<string, unknown>;
}

export interface FileDetails {
  file: AdminFile;
  reports: Report[];
  audit: AuditEntry[];
  traffic: { views: TimeSeries; downloads: TimeSeries; bandwidth: TimeSeries };
}

/** null: the instance default; -1: unlimited. */
export interface UserLimits {
  storage_quota: number | null;
  daily_upload_quota: number | null;
  max_files: number | null;
}

export interface AdminUser {
  id: string;
  username: string;
  email: string;
  is_admin: boolean;
  disabled: boolean;
  created: string;
  file_count: number;
  storage_used: number;
  hotlinking_enabled: boolean;
  hotlink_exempt: boolean;
  expiry_exempt: boolean;
  limits: UserLimits;
}

export interface UserDetails {
  user: AdminUser;
  files: AdminFile[];
  audit: AuditEntry[];
}

export interface BlockedHash {
  sha256: string;
  reason: string;
  created: string;
  created_by: string | null;
}

export interface Invite {
  id: string;
  created: string;
  created_by: string | null;
  expires: string;
  used: string | null;
  used_by: string | null;
}

export interface InstanceLimits {
  registration: string;
  anonymous_uploads: boolean;
  storage_quota: number;
  daily_upload_quota: number;
  max_files: number;
  anonymous_daily_uploads_per_ip: number;
  anonymous_daily_upload_bytes_per_ip?: number;
  max_file_size: number;
  file_expiry_days: number;
}

/** Where a file's or user's details open in the admin area. */
export const fileHref = (id: string) => `/admin/files?file=${encodeURIComponent(id)}`;
export const userHref = (id: string) => `/admin/users?user=${encodeURIComponent(id)}`;
