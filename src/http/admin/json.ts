import { invalidInput } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { AdminFileRecord, AdminUserRecord } from '../../core/moderation/admin-search.js';
import type { AbuseReport } from '../../core/moderation/reports.js';
import { iso } from './guard.js';

/** The admin API's JSON shapes (/work/admin-api.md): AdminFile, AdminUser, Report. */

export function adminFileJson(a: AdminFileRecord) {
  const f = a.file;
  return {
    id: f.id,
    name: f.name,
    size: f.size,
    mime_type: f.mimeType,
    hash_sha256: f.blobKey,
    date_upload: iso(f.createdAt),
    owner: a.owner,
    uploader_ip: f.uploaderIp ?? null,
    views: f.views,
    downloads: f.downloads,
    bandwidth_used: f.bandwidthUsed,
    bandwidth_used_paid: f.bandwidthPaid,
    abuse_type: f.abuseType ?? null,
    block_reason: f.blockReason ?? null,
    blocked_at: iso(f.blockedAt),
    scan: {
      status: f.scanStatus ?? null,
      signature: f.scanSignature ?? null,
      engine: a.scanEngine,
      scanned_at: iso(a.scannedAt),
    },
    delete_after_date: iso(f.expiresAt),
    date_last_download: iso(f.lastDownloadAt),
  };
}

export function adminUserJson(a: AdminUserRecord) {
  const u = a.user;
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    is_admin: u.isAdmin,
    disabled: u.disabled ?? false,
    created: iso(u.createdAt),
    file_count: a.fileCount,
    storage_used: a.storageUsed,
    hotlinking_enabled: u.hotlinkingEnabled ?? false,
    hotlink_exempt: u.hotlinkExempt ?? false,
    expiry_exempt: u.expiryExempt ?? false,
    limits: {
      storage_quota: u.storageQuota ?? null,
      daily_upload_quota: u.dailyUploadQuota ?? null,
      max_files: u.maxFiles ?? null,
    },
  };
}

/** Reports with their files' names and blocks (a deleted file: null name). */
export async function reportsJson(core: Core, reports: readonly AbuseReport[]) {
  const ids = [...new Set(reports.map((r) => r.fileId))];
  const files = ids.length > 0 ? await core.files.findAll(ids, ids.length) : [];
  const byId = new Map(files.map((f) => [f.id, f]));
  return reports.map((r) => {
    const f = byId.get(r.fileId);
    return {
      id: r.id,
      file_id: r.fileId,
      file_name: f?.name ?? null,
      file_abuse_type: f?.abuseType ?? null,
      type: r.type,
      description: r.description,
      reporter_ip: r.reporterIp,
      created: iso(r.createdAt),
      status: r.status,
      resolved: iso(r.resolvedAt),
      resolved_by: r.resolvedBy,
      resolution: r.resolution,
    };
  });
}

/** A form's true|false field (absent: undefined); anything else is enum_parse_failed. */
export function boolField(fields: Record<string, string>, name: string): boolean | undefined {
  const v = fields[name];
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidInput([{ field: name, problem: 'invalid_enum', allowed: ['true', 'false'] }]);
}

/** `limit` (default 50, at most 500) and `offset` of a query. */
export function pageOf(q: { limit?: string; offset?: string }) {
  return {
    limit: Math.min(Math.max(1, Number(q.limit ?? 50) || 50), 500),
    offset: Math.max(0, Number(q.offset ?? 0) || 0),
  };
}

// Schemas (OpenAPI documentation; replies are sent as ready JSON text).
const nullable = (type: string) => ({ type: [type, 'null'] });
const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };

export const ADMIN_FILE = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    size: int,
    mime_type: str,
    hash_sha256: str,
    date_upload: str,
    owner: {
      type: ['object', 'null'],
      properties: { id: str, username: str },
    },
    uploader_ip: nullable('string'),
    views: int,
    downloads: int,
    bandwidth_used: int,
    bandwidth_used_paid: int,
    abuse_type: nullable('string'),
    block_reason: nullable('string'),
    blocked_at: nullable('string'),
    scan: {
      type: 'object',
      properties: {
        status: nullable('string'),
        signature: nullable('string'),
        engine: nullable('string'),
        scanned_at: nullable('string'),
      },
    },
    delete_after_date: nullable('string'),
    date_last_download: nullable('string'),
  },
};

export const ADMIN_USER = {
  type: 'object',
  properties: {
    id: str,
    username: str,
    email: nullable('string'),
    is_admin: bool,
    disabled: bool,
    created: str,
    file_count: int,
    storage_used: int,
    hotlinking_enabled: bool,
    hotlink_exempt: bool,
    expiry_exempt: bool,
    limits: {
      type: 'object',
      properties: {
        storage_quota: nullable('integer'),
        daily_upload_quota: nullable('integer'),
        max_files: nullable('integer'),
      },
    },
  },
};

export const REPORT = {
  type: 'object',
  properties: {
    id: str,
    file_id: str,
    file_name: nullable('string'),
    file_abuse_type: nullable('string'),
    type: str,
    description: str,
    reporter_ip: str,
    created: str,
    status: str,
    resolved: nullable('string'),
    resolved_by: nullable('string'),
    resolution: nullable('string'),
  },
};

export const PAGE_QUERY = {
  limit: { type: 'string', description: 'At most this many (1-500, default 50)' },
  offset: { type: 'string', description: 'Skip this many' },
};

export const SUCCESS = { type: 'object', properties: { success: bool } };

/** A form body with these string fields (urlencoded or multipart). */
export function adminForm(fields: Record<string, string>, required: string[] = []) {
  const schema = {
    type: 'object',
    properties: Object.fromEntries(
      Object.entries(fields).map(([k, description]) => [k, { type: 'string', description }]),
    ),
    required,
  };
  return {
    content: {
      'application/x-www-form-urlencoded': { schema },
      'multipart/form-data': { schema },
    },
  };
}
