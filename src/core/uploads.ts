import { Readable } from 'node:stream';
import {
  NO_ATTRIBUTES,
  normalizeAttributes,
  type AttributeRepository,
  type FileAttributes,
} from './attributes.js';
import type { FileService, UploadInput, UploadResult } from './files.js';
import type { ListService } from './lists.js';
import type { MediaService } from './media/service.js';

export interface PublishInput extends UploadInput {
  /** Title, description, tags, category, nsfw: stored beside the file. */
  attributes?: Partial<FileAttributes>;
  /** Add the file to this list if the uploader owns it (else ignored). */
  listId?: string | null;
  /** Store the image scaled down to this width (not animated images, not narrower ones). */
  resizeWidth?: number | null;
}

export interface PublishResult extends UploadResult {
  attributes: FileAttributes;
  /** The list the file was added to, if any. */
  listId: string | null;
  /** The stored file is a resized copy of what was sent. */
  resized: boolean;
}

const EXTENSION = { png: 'png', jpeg: 'jpg', webp: 'webp' } as const;

/**
 * An upload with the options image hosts offer (Chevereto's): expiry, attributes, an album and a
 * resize. The pieces are the core's own (FileService, MediaService, ListService); this only puts
 * them in order, and undoes the upload if a later step fails.
 */
export class UploadService {
  constructor(
    private readonly files: FileService,
    private readonly media: MediaService,
    private readonly lists: ListService,
    private readonly attrs: AttributeRepository,
  ) {}

  async upload(input: PublishInput): Promise<PublishResult> {
    // An expiry (`expiresInMs`) counts from each stored file's own creation.
    let { file, deleteKey } = await this.files.upload(input);
    let resized = false;
    try {
      if (input.resizeWidth) {
        const small = await this.media.resized(file, input.resizeWidth).catch(() => null);
        if (small) {
          const ext = EXTENSION[small.format];
          const name = /\.[A-Za-z0-9]{1,8}$/.test(file.name)
            ? file.name.replace(/\.[A-Za-z0-9]{1,8}$/, (e) =>
                sameFormat(e, small.format) ? e : `.${ext}`,
              )
            : `${file.name}.${ext}`;
          const next = await this.files.upload({
            ...input,
            body: Readable.from([small.data]),
            name,
            accept: undefined,
            // Smaller than the original, which passed the quotas and is removed next.
            admitted: true,
          });
          await this.files.remove(file);
          ({ file, deleteKey } = next);
          resized = true;
        }
      }
      const attributes = normalizeAttributes(input.attributes ?? {});
      if (!sameAttributes(attributes, NO_ATTRIBUTES)) await this.attrs.set(file.id, attributes);
      let listId: string | null = null;
      if (input.listId && input.uploader && !input.anonymous) {
        if (await this.lists.appendIfOwned(input.listId, file.id, input.uploader)) {
          listId = input.listId;
        }
      }
      return { file, deleteKey, attributes, listId, resized };
    } catch (err) {
      await this.files.remove(file).catch(() => {});
      throw err;
    }
  }

  async attributesOf(fileId: string): Promise<FileAttributes> {
    return (await this.attrs.get(fileId)) ?? NO_ATTRIBUTES;
  }
}

function sameFormat(ext: string, format: 'png' | 'jpeg' | 'webp'): boolean {
  const e = ext.slice(1).toLowerCase();
  return format === 'jpeg' ? e === 'jpg' || e === 'jpeg' : e === format;
}

function sameAttributes(a: FileAttributes, b: FileAttributes): boolean {
  return (
    a.title === b.title &&
    a.description === b.description &&
    a.tags.length === b.tags.length &&
    a.categoryId === b.categoryId &&
    a.nsfw === b.nsfw
  );
}
