import { requireAccess } from './access.js';
import type { Principal } from './accounts.js';
import { CoreError } from './errors.js';
import { ID_PATTERN, newId, newVariableId } from './ids.js';
import {
  DuplicateIdError,
  MissingFileError,
  type ListEntry,
  type ListEntryInput,
  type ListRecord,
  type ListRepository,
  type ListSummary,
} from './records.js';

export const LIST_MAX_FILES = 10_000;
export const LIST_TITLE_MAX = 300;
export const LIST_DESCRIPTION_MAX = 3000;
export const LIST_DEFAULT_TITLE = 'Pixeldrain List';

export interface ListInput {
  title?: string;
  /** Not linked to the creator's account: nobody can edit or delete it. */
  anonymous?: boolean;
  files: { id: string; description?: string }[];
}

export interface ListView {
  list: ListRecord;
  entries: ListEntry[];
  canEdit: boolean;
}

/** Why a file cannot go into a multipaste. */
export type MultipasteProblem = { id: string; reason: 'not_found' | 'not_owned' };

export type MultipasteResult =
  { ok: true; list: ListRecord } | { ok: false; problems: MultipasteProblem[] };

/** Multipaste ids: "m-" and a FileBin-style id (so they never collide with file ids). */
export const MULTIPASTE_PREFIX = 'm-';
const MULTIPASTE_ID = /^m-[A-Za-z0-9]{1,64}$/;

export interface ListServiceOptions {
  /** Whether callers without an API key may create lists (same switch as anonymous uploads). */
  allowAnonymous: boolean;
  now?: () => number;
}

/** Lists (albums): an ordered set of files with descriptions. */
export class ListService {
  private readonly now: () => number;

  constructor(
    private readonly repo: ListRepository,
    private readonly opts: ListServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async create(input: ListInput, principal: Principal | null): Promise<ListRecord> {
    if (!principal && !this.opts.allowAnonymous) {
      throw new CoreError('authentication_required', 'An API key is required to create lists');
    }
    const { title, entries } = await this.validate(input);
    const list: ListRecord = {
      id: '',
      title,
      ownerId: input.anonymous || !principal ? null : principal.userId,
      createdAt: this.now(),
    };
    for (let attempt = 0; ; attempt++) {
      list.id = newId();
      try {
        await this.repo.insert(list, entries);
        return list;
      } catch (err) {
        if (err instanceof DuplicateIdError && attempt < 5) continue;
        throw await this.domainError(err, entries);
      }
    }
  }

  async get(id: string, viewer: Principal | null): Promise<ListView> {
    const list = await this.find(id);
    return { list, entries: await this.repo.entries(id), canEdit: this.canEdit(list, viewer) };
  }

  /** Replace title and files (owner only). A missing title keeps the current one. */
  async update(id: string, input: ListInput, principal: Principal | null): Promise<ListRecord> {
    const list = await this.editable(id, principal);
    const { title, entries } = await this.validate({ ...input, title: input.title ?? list.title });
    try {
      if (!(await this.repo.update(id, title, entries))) throw notFound();
    } catch (err) {
      throw await this.domainError(err, entries);
    }
    return { ...list, title };
  }

  async delete(id: string, principal: Principal | null): Promise<void> {
    await this.editable(id, principal);
    if (!(await this.repo.delete(id))) throw notFound();
  }

  async listOwned(principal: Principal, limit = 50_000): Promise<ListSummary[]> {
    requireAccess(principal, 'read_own');
    return this.repo.listByOwner(principal.userId, limit);
  }

  /**
   * FileBin's multipaste: a list of the caller's own files that is deleted as soon as any of its
   * files is. Every file is checked (all problems reported); nothing is created unless all pass.
   */
  async createMultipaste(
    fileIds: readonly string[],
    principal: Principal,
    idLength: { min: number; max: number },
  ): Promise<MultipasteResult> {
    if (fileIds.length === 0) throw new CoreError('empty_list', 'No IDs specified');
    if (fileIds.length > LIST_MAX_FILES) {
      throw new CoreError('too_many_files', `At most ${LIST_MAX_FILES} files per multipaste`);
    }
    for (let attempt = 0; ; attempt++) {
      const owners = await this.repo.fileOwners(fileIds.filter((id) => ID_PATTERN.test(id)));
      const problems: MultipasteProblem[] = [];
      for (const id of fileIds) {
        if (!owners.has(id)) problems.push({ id, reason: 'not_found' });
        else if (owners.get(id) !== principal.userId) problems.push({ id, reason: 'not_owned' });
      }
      if (problems.length > 0) return { ok: false, problems };
      const list: ListRecord = {
        id: MULTIPASTE_PREFIX + newVariableId(idLength.min, idLength.max),
        title: '',
        ownerId: principal.userId,
        createdAt: this.now(),
        kind: 'multipaste',
      };
      try {
        await this.repo.insert(
          list,
          fileIds.map((fileId) => ({ fileId, description: '' })),
        );
        return { ok: true, list };
      } catch (err) {
        if (err instanceof DuplicateIdError && attempt < 100) continue;
        // A file was deleted meanwhile: check again, which names it.
        if (err instanceof MissingFileError && attempt < 100) continue;
        throw err;
      }
    }
  }

  /** A multipaste and its files, in order (anyone with the id may view it). */
  async multipaste(id: string): Promise<{ list: ListRecord; entries: ListEntry[] }> {
    const list = await this.findMultipaste(id);
    return { list, entries: await this.repo.entries(id) };
  }

  /** Delete a multipaste of the caller's (its files stay). */
  async deleteMultipaste(id: string, principal: Principal): Promise<void> {
    const list = await this.findMultipaste(id);
    if (list.ownerId !== principal.userId) {
      throw new CoreError('forbidden', 'This multipaste is not yours');
    }
    requireAccess(principal, 'edit_own');
    if (!(await this.repo.delete(id))) throw notFound();
  }

  /** The caller's multipastes, oldest first, with their file ids. */
  async multipastesOf(principal: Principal): Promise<{ list: ListRecord; fileIds: string[] }[]> {
    requireAccess(principal, 'read_own');
    return this.repo.multipastesOf(principal.userId);
  }

  private async findMultipaste(id: string): Promise<ListRecord> {
    if (!MULTIPASTE_ID.test(id)) throw notFound();
    const list = await this.repo.get(id);
    if (!list || list.kind !== 'multipaste') throw notFound();
    return list;
  }

  /**
   * Add a file at the end of one of the caller's lists (Chevereto's `album_id`). A list that does
   * not exist or is not the caller's is ignored, as Chevereto ignores such albums: false.
   */
  async appendIfOwned(listId: string, fileId: string, principal: Principal): Promise<boolean> {
    if (!ID_PATTERN.test(listId)) return false;
    const list = await this.repo.get(listId);
    if (!list || list.kind === 'multipaste' || !this.canEdit(list, principal)) return false;
    const entries = await this.repo.entries(listId);
    if (entries.length >= LIST_MAX_FILES) return false;
    const next = [
      ...entries.map((e) => ({ fileId: e.file.id, description: e.description })),
      { fileId, description: '' },
    ];
    try {
      return await this.repo.update(listId, list.title, next);
    } catch (err) {
      // A file of the list was deleted meanwhile: leave the list as it is.
      if (err instanceof MissingFileError) return false;
      throw err;
    }
  }

  canEdit(list: ListRecord, viewer: Principal | null): boolean {
    return viewer !== null && list.ownerId !== null && list.ownerId === viewer.userId;
  }

  private async find(id: string): Promise<ListRecord> {
    if (!ID_PATTERN.test(id)) throw notFound();
    const list = await this.repo.get(id);
    if (!list || list.kind === 'multipaste') throw notFound();
    return list;
  }

  private async editable(id: string, principal: Principal | null): Promise<ListRecord> {
    if (!principal) throw new CoreError('authentication_required');
    const list = await this.find(id);
    if (!this.canEdit(list, principal)) {
      throw new CoreError('forbidden', 'You are not logged in or this is not your list');
    }
    requireAccess(principal, 'edit_own');
    return list;
  }

  /** pixeldrain's checks, in its order: size limits first, then emptiness, then each file. */
  private async validate(input: ListInput): Promise<{ title: string; entries: ListEntryInput[] }> {
    const files = input.files;
    if (files.length > LIST_MAX_FILES) {
      throw new CoreError(
        'too_many_files',
        `This list contains too many files, max ${LIST_MAX_FILES} allowed.`,
      );
    }
    const title =
      input.title === undefined || input.title === '' ? LIST_DEFAULT_TITLE : input.title;
    if ([...title].length > LIST_TITLE_MAX) {
      throw new CoreError(
        'title_too_long',
        `The title of this list is too long, max ${LIST_TITLE_MAX} characters allowed.`,
      );
    }
    const entries = files.map((f) => ({ fileId: f.id, description: f.description ?? '' }));
    if (entries.some((e) => [...e.description].length > LIST_DESCRIPTION_MAX)) {
      throw new CoreError(
        'description_too_long',
        `The description of one of the files in the list is too long, max ${LIST_DESCRIPTION_MAX} characters allowed.`,
      );
    }
    if (entries.length === 0) {
      throw new CoreError('empty_list', 'You cannot make a list with no files.');
    }
    const valid = entries.map((e) => e.fileId).filter((id) => ID_PATTERN.test(id));
    const existing = await this.repo.existingFileIds(valid);
    const missing = entries.find((e) => !existing.has(e.fileId));
    if (missing) throw missingFile(missing.fileId);
    return { title, entries };
  }

  private async domainError(err: unknown, entries: ListEntryInput[]): Promise<unknown> {
    if (err instanceof MissingFileError) {
      // A file was deleted while the list was being written: name it.
      const existing = await this.repo.existingFileIds(entries.map((e) => e.fileId));
      return missingFile(entries.find((e) => !existing.has(e.fileId))?.fileId ?? '');
    }
    return err;
  }
}

function notFound(): CoreError {
  return new CoreError('not_found', 'The entity you requested could not be found');
}

function missingFile(id: string): CoreError {
  return new CoreError('list_file_not_found', `File ${id} was not found in the database.`, {
    file_not_found: id,
  });
}
