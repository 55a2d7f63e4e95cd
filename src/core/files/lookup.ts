import { CoreError } from '../errors.js';
import { ID_PATTERN } from '../ids.js';
import type { FileRecord, FileRepository } from '../records.js';
import { TtlCache } from '../ttl-cache.js';

/** Comma-separated ids one request may name (`/api/file/{a,b,…}/info`, the API docs' 1000). */
export const MAX_IDS_PER_REQUEST = 1000;
/** File records looked up in the last `cacheTtlMs` kept at most (a lookup burst's ids). */
const RECORD_CACHE_ENTRIES = 10_000;

/**
 * Files by id: one (through a short-lived per-process cache of records), several in the order
 * asked. An expired file is not found by any of them from its expiry time on, before the sweep
 * deletes it.
 */
export class FileLookup {
  private readonly cache: TtlCache<FileRecord>;

  constructor(
    private readonly repo: Pick<FileRepository, 'get' | 'getMany'>,
    private readonly now: () => number,
    cacheTtlMs: number,
  ) {
    this.cache = new TtlCache(cacheTtlMs, RECORD_CACHE_ENTRIES);
  }

  /** The record changed or is gone: the next lookup reads it again. */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** The record if this process looked it up moments ago and it has not expired; else undefined. */
  cached(id: string): FileRecord | undefined {
    const now = this.now();
    const hit = this.cache.get(id, now);
    return hit && !isExpired(hit, now) ? hit : undefined;
  }

  async get(id: string): Promise<FileRecord> {
    const now = this.now();
    const hit = this.cache.get(id, now);
    if (hit) {
      if (isExpired(hit, now)) throw expiredError();
      return hit;
    }
    if (!ID_PATTERN.test(id))
      throw new CoreError('not_found', 'The entity you requested could not be found');
    const file = await this.repo.get(id);
    // An expired file is gone for every dialect at its expiry time, before the sweep deletes it.
    if (!file || isExpired(file, now)) {
      this.cache.delete(id);
      throw new CoreError('not_found', 'The entity you requested could not be found');
    }
    this.cache.set(id, file, now);
    return file;
  }

  /** Several files by id, in the order asked, skipping missing ones; not_found only if none exist. */
  async getMany(ids: readonly string[]): Promise<FileRecord[]> {
    const byId = await this.lookupMany(
      ids,
      MAX_IDS_PER_REQUEST,
      'A string parameter you passed was either too short or too long',
    );
    const out = ids.map((id) => byId.get(id)).filter((f): f is FileRecord => f !== undefined);
    if (out.length === 0)
      throw new CoreError('not_found', 'The entity you requested could not be found');
    return out;
  }

  /**
   * All of these files, in the order asked (for archives): one missing id is not_found with
   * `extra.file` naming it.
   */
  async getAll(ids: readonly string[], max: number): Promise<FileRecord[]> {
    const byId = await this.lookupMany(ids, max);
    return ids.map((id) => {
      const f = byId.get(id);
      if (!f) throw new CoreError('not_found', `File ${id} does not exist`, { file: id });
      return f;
    });
  }

  /** Those of these files that exist, in the order asked (a virtual list of ids skips the gone). */
  async findAll(ids: readonly string[], max: number): Promise<FileRecord[]> {
    const byId = await this.lookupMany(ids, max);
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** The files of these ids that exist and have not expired, by id (too_many_ids past `max`). */
  private async lookupMany(
    ids: readonly string[],
    max: number,
    tooMany = 'Too many files requested at once',
  ): Promise<Map<string, FileRecord>> {
    if (ids.length > max) {
      throw new CoreError('too_many_ids', tooMany, {
        field: 'id',
        min_len: 1,
        max_len: max,
        len: ids.length,
      });
    }
    const valid = [...new Set(ids.filter((id) => ID_PATTERN.test(id)))];
    const found = valid.length > 0 ? await this.repo.getMany(valid) : [];
    const now = this.now();
    return new Map(found.filter((f) => !isExpired(f, now)).map((f) => [f.id, f]));
  }
}

function isExpired(file: FileRecord, now: number): boolean {
  return file.expiresAt !== undefined && file.expiresAt !== null && file.expiresAt <= now;
}

function expiredError(): CoreError {
  return new CoreError('not_found', 'The entity you requested could not be found');
}
