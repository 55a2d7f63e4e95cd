/**
 * Descriptive attributes of a file: title, description, tags, a category and an adult-content
 * flag (Chevereto's upload options; any dialect may set or show them). Kept beside the file and
 * deleted with it.
 */
export interface FileAttributes {
  title: string | null;
  description: string | null;
  tags: string[];
  categoryId: string | null;
  nsfw: boolean;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]+/g;

export const TITLE_MAX = 100;
export const DESCRIPTION_MAX = 10_000;
export const TAGS_MAX = 100;
export const TAG_MAX = 64;

export const NO_ATTRIBUTES: FileAttributes = {
  title: null,
  description: null,
  tags: [],
  categoryId: null,
  nsfw: false,
};

/** Metadata port for file attributes. */
export interface AttributeRepository {
  get(fileId: string): Promise<FileAttributes | null>;
  /** Insert or replace; false when the file no longer exists. */
  set(fileId: string, attrs: FileAttributes): Promise<boolean>;
}

/** Tags from a comma-separated list: trimmed, empty ones dropped, duplicates removed (first kept). */
export function parseTags(raw: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of raw.split(',')) {
    const tag = [...t.trim()].slice(0, TAG_MAX).join('');
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    out.push(tag);
    if (out.length >= TAGS_MAX) break;
  }
  return out;
}

/** Cut to at most `max` characters (code points), never inside a surrogate pair. */
export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max).join('');
}

/** Bring attributes within their limits (control characters removed from the one-line title). */
export function normalizeAttributes(a: Partial<FileAttributes>): FileAttributes {
  const title = a.title ? truncate(a.title.replace(CONTROL_CHARS, ' ').trim(), TITLE_MAX) : '';
  const description = a.description ? truncate(a.description, DESCRIPTION_MAX) : '';
  return {
    title: title || null,
    description: description || null,
    tags: (a.tags ?? []).slice(0, TAGS_MAX),
    categoryId: a.categoryId ? truncate(a.categoryId, 64) : null,
    nsfw: a.nsfw ?? false,
  };
}
