import type { FileAttributes } from '../../core/attributes.js';
import type { Core } from '../../core/index.js';
import type { DerivedImage, DerivedVariant } from '../../core/media/types.js';
import { mediaKindOf } from '../../core/media-type.js';
import type { FileRecord } from '../../core/records.js';
import mime from 'mime';
import { formatBytes } from './errors.js';

/** Paths of what a Chevereto upload gives out: the viewer, the companions, the delete link. */
export const paths = {
  viewer: (id: string) => `/image/${id}`,
  derived: (id: string, v: DerivedVariant) => `/image/${id}/${v}.jpg`,
  delete: (id: string, secret: string) => `/image/${id}/delete/${secret}`,
  /** The download endpoint (the viewer's download link, `?download`). */
  raw: (id: string) => `/api/file/${id}`,
  /** The same bytes at a URL ending in the file's extension (`image.url`, as Chevereto's). */
  file: (id: string, ext: string) => `/i/${id}.${ext}`,
};

/** `Y-m-d H:i:s` in UTC (Chevereto's date, date_gmt, expiration_date_gmt). */
export function chvDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Where mime-db's first extension for a type is not the one people and Chevereto use
 * (`jpeg`, `qt`, `mpga`...): everything else comes from the `mime` library.
 */
const CUSTOMARY_EXT: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/tiff': 'tiff',
  'video/quicktime': 'mov',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'text/markdown': 'md',
  'text/javascript': 'js',
};

/** A file extension for a media type ('' when we have none). */
export function extensionFor(mimeType: string): string {
  const type = mimeType.split(';')[0]!.trim().toLowerCase();
  return CUSTOMARY_EXT[type] ?? mime.getExtension(type) ?? '';
}

/**
 * The extension of a stored file's public URL (`/i/{id}.{ext}`, `image.url`) and of
 * `image.extension`: the name's own when it is safe (1-10 letters or digits, lowercased), else
 * the detected type's, else `bin`. It only names the URL: the bytes are always served with the
 * stored Content-Type.
 */
export function fileExtension(file: Pick<FileRecord, 'name' | 'mimeType'>): string {
  return splitName(file.name).ext || extensionFor(file.mimeType) || 'bin';
}

function splitName(name: string): { base: string; ext: string } {
  const m = /^(.*)\.([A-Za-z0-9]{1,10})$/.exec(name);
  return m && m[1] ? { base: m[1], ext: m[2]!.toLowerCase() } : { base: name, ext: '' };
}

/** Chevereto's default title: the file name without extension, `[-_\s]+` as one space. */
export function titleFromName(name: string): string {
  return splitName(name)
    .base.replace(/[-_\s]+/g, ' ')
    .trim();
}

const EMPTY_COMPANION = { filename: null, name: null, mime: null, extension: null, url: null };

function companion(base: string, suffix: string, url: string, img: DerivedImage | null) {
  if (!img) return { ...EMPTY_COMPANION };
  return {
    filename: `${base}.${suffix}.jpeg`,
    name: `${base}.${suffix}`,
    mime: 'image/jpeg',
    extension: 'jpeg',
    url,
    size: img.data.length,
    width: img.width,
    height: img.height,
  };
}

export interface ImageContext {
  origin: string;
  file: FileRecord;
  attributes: FileAttributes;
  originalFilename: string;
  deleteKey: string | undefined;
}

/**
 * The `image` object of a Chevereto upload reply (spec 2.6: V4's fields, in V4's order, with the
 * data we have: width, height, animation and duration from the media layer; thumb, medium and
 * frame rendered now and served at stable URLs).
 */
export async function imageObject(core: Core, c: ImageContext): Promise<Record<string, unknown>> {
  const { file, origin, attributes } = c;
  const kind = mediaKindOf(file.mimeType);
  const type = kind === 'image' || kind === 'video' ? kind : 'file';
  const [meta, md5s, thumb, medium, frame] = await Promise.all([
    core.media.metadata(file).catch(() => null),
    core.files.md5Of([file]).catch(() => new Map<string, string>()),
    derived(core, file, 'thumb'),
    derived(core, file, 'medium'),
    kind === 'video' ? derived(core, file, 'frame') : Promise.resolve(null),
  ]);
  const { base } = splitName(file.name);
  const extension = fileExtension(file);
  const width = meta?.width ?? frame?.width ?? 0;
  const height = meta?.height ?? frame?.height ?? 0;
  const url = origin + paths.file(file.id, extension);
  const urlThumb = origin + paths.derived(file.id, 'thumb');
  const urlMedium = origin + paths.derived(file.id, 'medium');
  const urlFrame = frame ? origin + paths.derived(file.id, 'frame') : '';
  const viewerPath = paths.viewer(file.id);
  const title = attributes.title ?? titleFromName(c.originalFilename || file.name);
  const durationS = meta?.durationMs ? Math.round(meta.durationMs / 1000) : 0;
  const display = medium
    ? { url: urlMedium, width: medium.width, height: medium.height }
    : kind === 'video' && frame
      ? { url: urlFrame, width: frame.width, height: frame.height }
      : thumb && file.size > 200 * 1024
        ? { url: urlThumb, width: thumb.width, height: thumb.height }
        : { url, width, height };
  const chain = (frame ? 16 : 0) | 4 | (medium ? 2 : 0) | (thumb ? 1 : 0);
  const truncated = [...title].length > 28 ? `${[...title].slice(0, 25).join('')}...` : title;
  return {
    name: base,
    extension,
    size: file.size,
    width,
    height,
    date: chvDate(file.createdAt),
    date_gmt: chvDate(file.createdAt),
    title,
    tags: attributes.tags.map((t) => ({ name: t, name_safe_html: escapeHtml(t), url_key: t })),
    description: attributes.description,
    nsfw: attributes.nsfw ? 1 : 0,
    storage_mode: 'datefolder',
    md5: md5s.get(file.blobKey) ?? null,
    source_md5: null,
    original_filename: c.originalFilename || file.name,
    original_exifdata: null,
    views: 0,
    category_id: attributes.categoryId,
    chain,
    thumb_size: thumb?.data.length ?? 0,
    medium_size: medium?.data.length ?? 0,
    frame_size: frame?.data.length ?? 0,
    expiration_date_gmt: file.expiresAt ? chvDate(file.expiresAt) : null,
    likes: 0,
    is_animated: meta?.animated ? 1 : 0,
    is_approved: 1,
    is_360: 0,
    duration: durationS,
    type,
    tags_string: attributes.tags.join(', '),
    id_encoded: file.id,
    filename: file.name,
    mime: file.mimeType.split(';')[0]!.trim(),
    url,
    ratio: height ? width / height : 0,
    size_formatted: formatBytes(file.size),
    ...(kind === 'video' ? { frame: companion(base, 'fr', urlFrame, frame) } : {}),
    image: {
      filename: file.name,
      name: base,
      mime: file.mimeType.split(';')[0]!.trim(),
      extension,
      url,
      size: file.size,
    },
    thumb: companion(base, 'th', urlThumb, thumb),
    medium: companion(base, 'md', urlMedium, medium),
    url_frame: urlFrame,
    duration_time: durationS ? clock(durationS) : '',
    url_viewer: origin + viewerPath,
    path_viewer: viewerPath,
    url_short: origin + viewerPath,
    display_url: display.url,
    display_width: display.width,
    display_height: display.height,
    views_label: 'views',
    likes_label: 'likes',
    how_long_ago: 'moments ago',
    date_fixed_peer: chvDate(file.createdAt),
    title_truncated: truncated,
    title_truncated_html: escapeHtml(truncated),
    is_use_loader: false,
    display_title: title,
    delete_url: c.deleteKey ? origin + paths.delete(file.id, c.deleteKey) : null,
  };
}

async function derived(
  core: Core,
  file: FileRecord,
  v: DerivedVariant,
): Promise<DerivedImage | null> {
  return core.media.derived(file, v).catch(() => null);
}

function clock(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${two(h)}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
