import {
  DuplicateIdError,
  MissingFileError,
  type ListEntry,
  type ListEntryInput,
  type ListRecord,
  type ListRepository,
  type ListSummary,
} from '../core/records.js';
import type { Db } from './db.js';
import { isForeignKeyViolation, isUniqueViolation } from './db-errors.js';
import { fileRecordOf } from './file-repository.js';
import { num } from './schema.js';
import { JobRefused, WriteBatcher } from './write-batcher.js';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Bound parameters per statement, well under SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class KyselyListRepository implements ListRepository {
  private readonly writes: WriteBatcher;

  constructor(private readonly db: Db) {
    this.writes = new WriteBatcher(db);
  }

  async existingFileIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.db.selectFrom('files').select('id').where('id', 'in', part).execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  async fileOwners(ids: readonly string[]): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await this.db
        .selectFrom('files')
        .select(['id', 'owner_id'])
        .where('id', 'in', part)
        .execute();
      for (const r of rows) found.set(r.id, r.owner_id);
    }
    return found;
  }

  async insert(list: ListRecord, entries: readonly ListEntryInput[]): Promise<void> {
    await this.writes
      .run(async (trx) => {
        const clash = await trx
          .selectFrom('lists')
          .select('id')
          .where('id', '=', list.id)
          .executeTakeFirst();
        if (clash) throw new JobRefused(new DuplicateIdError());
        await trx
          .insertInto('lists')
          .values({
            id: list.id,
            title: list.title,
            owner_id: list.ownerId,
            created_at: list.createdAt,
            kind: list.kind ?? 'list',
          })
          .execute();
        await this.insertEntries(trx, list.id, entries);
      })
      .catch(rethrowDomain);
  }

  /**
   * Inside the write transaction, before anything is written: a file deleted since the caller's
   * check fails this job alone (a constraint error would abort the whole batch).
   */
  private async refuseMissingFiles(
    trx: Kysely<Database>,
    entries: readonly ListEntryInput[],
  ): Promise<void> {
    const ids = [...new Set(entries.map((e) => e.fileId))];
    let found = 0;
    for (const part of chunks(ids)) {
      const row = await trx
        .selectFrom('files')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('id', 'in', part)
        .executeTakeFirstOrThrow();
      found += num(row.n);
    }
    if (found !== ids.length) throw new JobRefused(new MissingFileError());
  }

  private async insertEntries(
    trx: Kysely<Database>,
    listId: string,
    entries: readonly ListEntryInput[],
  ): Promise<void> {
    let position = 0;
    for (const part of chunks(entries, 200)) {
      await trx
        .insertInto('list_files')
        .values(
          part.map((e) => ({
            list_id: listId,
            position: position++,
            file_id: e.fileId,
            description: e.description,
          })),
        )
        .execute();
    }
  }

  async get(id: string): Promise<ListRecord | null> {
    const r = await this.db.selectFrom('lists').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? listRecordOf(r) : null;
  }

  async entries(id: string): Promise<ListEntry[]> {
    const rows = await this.db
      .selectFrom('list_files')
      .innerJoin('files', 'files.id', 'list_files.file_id')
      .innerJoin('blobs', 'blobs.key', 'files.blob_key')
      .selectAll('files')
      .select([
        'blobs.location',
        'blobs.scan_status',
        'blobs.scan_signature',
        'list_files.description',
      ])
      .where('list_files.list_id', '=', id)
      .orderBy('list_files.position')
      .execute();
    return rows.map((r) => ({ file: fileRecordOf(r), description: r.description }));
  }

  async update(id: string, title: string, entries: readonly ListEntryInput[]): Promise<boolean> {
    return this.writes
      .run(async (trx) => {
        const exists = await trx
          .selectFrom('lists')
          .select('id')
          .where('id', '=', id)
          .executeTakeFirst();
        if (!exists) return false;
        await this.refuseMissingFiles(trx, entries);
        await trx.updateTable('lists').set({ title }).where('id', '=', id).execute();
        await trx.deleteFrom('list_files').where('list_id', '=', id).execute();
        await this.insertEntries(trx, id, entries);
        return true;
      })
      .catch(rethrowDomain);
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.writes.run((trx) =>
      trx.deleteFrom('lists').where('id', '=', id).executeTakeFirst(),
    );
    return Number(res.numDeletedRows) > 0;
  }

  async multipastesOf(ownerId: string): Promise<{ list: ListRecord; fileIds: string[] }[]> {
    const rows = await this.db
      .selectFrom('lists')
      .leftJoin('list_files', 'list_files.list_id', 'lists.id')
      .select([
        'lists.id',
        'lists.title',
        'lists.owner_id',
        'lists.created_at',
        'lists.kind',
        'list_files.file_id',
      ])
      .where('lists.owner_id', '=', ownerId)
      .where('lists.kind', '=', 'multipaste')
      .orderBy('lists.created_at')
      .orderBy('lists.id')
      .orderBy('list_files.position')
      .execute();
    const out = new Map<string, { list: ListRecord; fileIds: string[] }>();
    for (const r of rows) {
      let m = out.get(r.id);
      if (!m) {
        m = { list: listRecordOf(r), fileIds: [] };
        out.set(r.id, m);
      }
      if (r.file_id !== null) m.fileIds.push(r.file_id);
    }
    return [...out.values()];
  }

  async listByOwner(ownerId: string, limit: number): Promise<ListSummary[]> {
    const rows = await this.db
      .selectFrom('lists')
      .leftJoin('list_files', 'list_files.list_id', 'lists.id')
      .select((eb) => [
        'lists.id',
        'lists.title',
        'lists.owner_id',
        'lists.created_at',
        eb.fn.count('list_files.file_id').as('file_count'),
      ])
      .where('lists.owner_id', '=', ownerId)
      .where('lists.kind', '=', 'list')
      .groupBy(['lists.id', 'lists.title', 'lists.owner_id', 'lists.created_at'])
      .orderBy('lists.created_at', 'desc')
      .orderBy('lists.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      ownerId: r.owner_id,
      createdAt: num(r.created_at),
      fileCount: num(r.file_count),
    }));
  }
}

function listRecordOf(r: {
  id: string;
  title: string;
  owner_id: string | null;
  created_at: number | string;
  kind: string;
}): ListRecord {
  return {
    id: r.id,
    title: r.title,
    ownerId: r.owner_id,
    createdAt: num(r.created_at),
    kind: r.kind === 'multipaste' ? 'multipaste' : 'list',
  };
}

function rethrowDomain(err: unknown): never {
  if (isForeignKeyViolation(err)) throw new MissingFileError();
  if (isUniqueViolation(err)) throw new DuplicateIdError();
  throw err;
}
