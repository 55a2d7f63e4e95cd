// The shapes of pixeldrain's FileInfo and ListInfo as the viewer pages use them
// (src/http/pixeldrain/file-info.ts renders them).

export interface FileInfo {
  id: string;
  name: string;
  size: number;
  views: number;
  downloads: number;
  bandwidth_used: number;
  date_upload: string;
  date_last_view: string;
  mime_type: string;
  thumbnail_href: string;
  hash_sha256: string;
  can_edit: boolean;
  can_download: boolean;
  /** Download restriction for this visitor ('' = none), e.g. `…_captcha_required`. */
  availability?: string;
  /** Set when an admin blocked the file (pixeldrain's abuse types). */
  abuse_type?: string;
  /** Why, when blocked (the viewer page carries it). */
  block_reason?: string;
  [key: string]: unknown;
}

export interface ListFile extends FileInfo {
  detail_href: string;
  description: string;
}

export interface ListInfo {
  /** '' for the virtual list of /u/a,b,c. */
  id: string;
  title: string;
  date_created: string;
  file_count: number;
  can_edit: boolean;
  files: ListFile[];
  [key: string]: unknown;
}

export const fileUrl = (id: string) => `/api/file/${encodeURIComponent(id)}`;
export const thumbnailUrl = (id: string) => `${fileUrl(id)}/thumbnail`;
export const downloadUrl = (id: string) => `${fileUrl(id)}?download`;

/**
 * Blocked by an admin (pixeldrain: `abuse_type` set; the page answers 451, the file and its
 * thumbnail too). A malware flag that a captcha lets people through (abuse_type `malware` with
 * availability `virus_detected_captcha_required`) is not a block.
 */
export function isBlocked(file: Pick<FileInfo, 'abuse_type' | 'availability'>): boolean {
  return (
    typeof file.abuse_type === 'string' &&
    file.abuse_type !== '' &&
    !(typeof file.availability === 'string' && file.availability.endsWith('_captcha_required'))
  );
}
