import type { FileRecord, ListRecord } from '../../core/records.js';
import type { Principal } from '../../core/accounts.js';
import type { Core } from '../../core/index.js';
import type { ListView } from '../../core/lists.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';
/** Who `abuse_reporter_name` names for a blocked file (pixeldrain's label for reports). */
export const BLOCKED_BY = 'User submitted reports';
const NO_RESTRICTION = { availability: '', availability_message: '' };

/** FileInfo exactly as pixeldrain renders it (spec 2.1): field names and order matter to clients. */
export function fileInfo(
  file: FileRecord,
  canEdit: boolean,
  /** The download rules' verdict for this viewer (download-rules.ts availabilityOf). */
  availability: { availability: string; availability_message: string } = NO_RESTRICTION,
  /** When the file will be deleted (core.limits.inactivity.deleteAfter), epoch ms; null = never. */
  deleteAfter: number | null = null,
) {
  return {
    success: true,
    id: file.id,
    name: file.name,
    size: file.size,
    views: file.views,
    bandwidth_used: file.bandwidthUsed,
    bandwidth_used_paid: file.bandwidthPaid,
    downloads: file.downloads,
    date_upload: new Date(file.createdAt).toISOString(),
    date_last_view: new Date(file.lastViewAt).toISOString(),
    mime_type: file.mimeType,
    thumbnail_href: `/file/${file.id}/thumbnail`,
    hash_sha256: file.blobKey,
    delete_after_date: deleteAfter === null ? ZERO_TIME : new Date(deleteAfter).toISOString(),
    delete_after_downloads: 0,
    availability: availability.availability,
    availability_message: availability.availability_message,
    // Blocked by an admin (from reports, or directly), else `malware` for an infected file.
    abuse_type: file.abuseType || abuseTypeOf(file),
    abuse_reporter_name: file.abuseType ? BLOCKED_BY : '',
    can_edit: canEdit,
    can_download: true,
    show_ads: false,
    allow_video_player: true,
    download_speed_limit: 0,
  };
}

/** `malware` when the virus scanner flagged the content (the rules decide who may download it). */
function abuseTypeOf(file: FileRecord): string {
  return file.scanStatus === 'infected' ? 'malware' : '';
}

/**
 * ListInfo as pixeldrain renders it (spec 3.2): each file's FileInfo after `detail_href` and
 * `description`. Only the list's id, title and date are read (a virtual list has no record).
 */
export function listInfo(
  core: Core,
  view: Omit<ListView, 'list'> & { list: Pick<ListRecord, 'id' | 'title' | 'createdAt'> },
  viewer: Principal | null,
  /** The download rules' verdict per file id for this viewer (availabilityOf); absent: none. */
  availability?: ReadonlyMap<string, { availability: string; availability_message: string }>,
) {
  const { list, entries, canEdit } = view;
  return {
    success: true,
    id: list.id,
    title: list.title,
    date_created: new Date(list.createdAt).toISOString(),
    file_count: entries.length,
    can_edit: canEdit,
    files: entries.map((e) => ({
      detail_href: `/file/${e.file.id}/info`,
      description: e.description,
      ...fileInfo(
        e.file,
        core.files.canEdit(e.file, viewer),
        availability?.get(e.file.id),
        core.limits.inactivity.deleteAfter(e.file),
      ),
    })),
  };
}
