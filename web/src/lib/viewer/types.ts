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

/** The download refusal of a blocked file (pixeldrain's 451 value). */
export const UNAVAILABLE = 'unavailable_for_legal_reasons';

/**
 * Taken down: blocked by an admin (the viewer page carries `block_reason`, the page answers 451)
 * or refused to this visitor for legal reasons (an admin block, or malware in the scanner's
 * `block` mode). Not a malware flag that a captcha lets people through, nor one its owner may
 * download: those show `abuse_type` `malware` with another availability.
 */
export function isBlocked(
  file: Pick<FileInfo, 'abuse_type' | 'availability' | 'block_reason'>,
): boolean {
  if (file.availability === UNAVAILABLE || typeof file.block_reason === 'string') return true;
  return (
    typeof file.abuse_type === 'string' &&
    file.abuse_type !== '' &&
    file.abuse_type !== 'malware' &&
    !(typeof file.availability === 'string' && file.availability.endsWith('_captcha_required'))
  );
}

/** The file's bytes are refused to this visitor (admins may still download a blocked file). */
export const downloadRefused = (file: Pick<FileInfo, 'availability'>) =>
  file.availability === UNAVAILABLE;
