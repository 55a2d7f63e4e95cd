import { requireAccess } from './auth.js';
import { readPhpForm } from './form.js';
import { FORM_MAX_BYTES, siteUrl, type FbContext } from './respond.js';

const seconds = (ms: number) => String(Math.floor(ms / 1000));

/** FileBin shows a 0-byte file as libmagic does, and types without parameters. */
export function fbMimeType(mimeType: string, size: number): string {
  return size === 0 ? 'application/x-empty' : mimeType.split(';')[0]!.trim();
}

/**
 * file/history (apikey): all the caller's files (oldest first) and multipastes, FileBin's types
 * (strings for numbers), `hash` the MD5 of the content (computed on first need, then stored).
 */
export async function history({ core, config, req, reply }: FbContext): Promise<unknown> {
  const form = await readPhpForm(req.raw, reply.raw, FORM_MAX_BYTES);
  const principal = await requireAccess(core, req, config, form, 'apikey');
  const files = (await core.files.listOwned(principal)).reverse();
  const [md5s, multipastes, total] = await Promise.all([
    core.files.md5Of(files),
    core.lists.multipastesOf(principal),
    core.files.distinctBytesOf(principal.userId),
  ]);
  const base = siteUrl(req, config);
  const items = new Map<string, unknown>();
  for (const f of files) {
    const thumb = await core.media.canThumbnailImage(f.mimeType).catch(() => false);
    items.set(f.id, {
      id: f.id,
      filename: f.name,
      mimetype: fbMimeType(f.mimeType, f.size),
      date: seconds(f.createdAt),
      hash: md5s.get(f.blobKey) ?? '',
      filesize: String(f.size),
      thumbnail: thumb ? `${base}file/thumbnail/${f.id}` : undefined,
    });
  }
  const multipasteItems = new Map<string, unknown>();
  for (const m of multipastes) {
    if (m.fileIds.length === 0) continue;
    multipasteItems.set(m.list.id, {
      url_id: m.list.id,
      date: seconds(m.list.createdAt),
      items: new Map(m.fileIds.map((id) => [id, { id }])),
    });
  }
  return { items, multipaste_items: multipasteItems, total_size: String(total) };
}
