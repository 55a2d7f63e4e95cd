import { sql, type Kysely } from 'kysely';
import { DuplicateIdError, type FileRecord, type FileRepository } from '../core/records.js';
import type { Db } from './db.js';
import { QueryTemplate } from './query-template.js';
import { num, type Database } from './schema.js';
import { JobRefused, WriteBatcher } from './write-batcher.js';

type FileRow = {
  id: string;
  name: string;
  size: number | string;
  mime_type: string;
  blob_key: string;
  owner_id: string | null;
  delete_key_hash: string | null;
  created_at: number | string;
  last_view_at: number | string;
  views: number | string;
  downloads: number | string;
  bandwidth_used: number | string;
  bandwidth_paid: number | string;
  expires_at?: number | string | null;
  uploader_ip?: string | null;
  abuse_type?: string | null;
  block_reason?: string | null;
  blocked_at?: number | string | null;
  last_download_at?: number | string | null;
  scan_status?: string | null;
  scan_signature?: string | null;
};

const numOrNull = (v: number | string | null | undefined): number | null =>
  v === null || v === undefined ? null : num(v);

export function fileRecordOf(r: FileRow & { location: string }): FileRecord {
  return {
    id: r.id,
    name: r.name,
    size: num(r.size),
    mimeType: r.mime_type,
    blobKey: r.blob_key,
    blobLocation: r.location,
    ownerId: r.owner_id,
    deleteKeyHash: r.delete_key_hash,
    createdAt: num(r.created_at),
    lastViewAt: num(r.last_view_at),
    views: num(r.views),
    downloads: num(r.downloads),
    bandwidthUsed: num(r.bandwidth_used),
    bandwidthPaid: num(r.bandwidth_paid),
    expiresAt: numOrNull(r.expires_at),
    uploaderIp: r.uploader_ip ?? null,
    abuseType: r.abuse_type || null,
    blockReason: r.block_reason ?? null,
    blockedAt: numOrNull(r.blocked_at),
    lastDownloadAt: numOrNull(r.last_download_at),
    scanStatus: r.scan_status ?? null,
    scanSignature: r.scan_signature ?? null,
  };
}

function selectFiles(db: Kysely<Database>) {
  return db
    .selectFrom('files')
    .innerJoin('blobs', 'blobs.key', 'files.blob_key')
    .selectAll('files')
    .select(['blobs.location', 'blobs.scan_status', 'blobs.scan_signature']);
}

// The statements of every upload and download, compiled once (QueryTemplate).
const fileById = new QueryTemplate(1, (db, id: string) =>
  selectFiles(db).where('files.id', '=', id),
);
/** Whether a blob row exists (its key, or undefined). */
export const blobExists = new QueryTemplate(1, (db, key: string) =>
  db.selectFrom('blobs').select('key').where('key', '=', key),
);
const inlineDataByKey = new QueryTemplate(1, (db, key: string) =>
  db.selectFrom('blobs').select('data').where('key', '=', key),
);
const fileIdTaken = new QueryTemplate(1, (db, id: string) =>
  db.selectFrom('files').select('id').where('id', '=', id),
);
// Upsert: a new row takes our location, an existing one keeps its own (and gains a reference).
const insertOrReferenceBlob = new QueryTemplate(
  5,
  (db, key: string, location: string, size: number, data: Buffer | null, createdAt: number) =>
    db
      .insertInto('blobs')
      .values({ key, location, size, refcount: 1, data, created_at: createdAt })
      .onConflict((oc) => oc.column('key').doUpdateSet({ refcount: sql`blobs.refcount + 1` }))
      .returning('location'),
);
const insertFile = new QueryTemplate(
  12,
  (
    db,
    id: string,
    name: string,
    size: number,
    mimeType: string,
    blobKey: string,
    ownerId: string | null,
    deleteKeyHash: string | null,
    createdAt: number,
    lastViewAt: number,
    expiresAt: number | null,
    uploaderIp: string | null,
    lastDownloadAt: number,
  ) =>
    db.insertInto('files').values({
      id,
      name,
      size,
      mime_type: mimeType,
      blob_key: blobKey,
      owner_id: ownerId,
      delete_key_hash: deleteKeyHash,
      created_at: createdAt,
      last_view_at: lastViewAt,
      expires_at: expiresAt,
      uploader_ip: uploaderIp,
      last_download_at: lastDownloadAt,
    }),
);

export class KyselyFileRepository implements FileRepository {
  private readonly writes: WriteBatcher;

  constructor(private readonly db: Db) {
    this.writes = new WriteBatcher(db);
  }

  async insertIfBlobExists(f: FileRecord): Promise<{ location: string } | null> {
    // A plain read first: new content (the common case) costs no write transaction here.
    const known = await blobExists.first(this.db, f.blobKey);
    if (!known) return null;
    return this.writes.run(async (trx) => {
      await this.refuseTakenId(trx, f.id);
      const blob = await trx
        .updateTable('blobs')
        .set({ refcount: sql`refcount + 1` })
        .where('key', '=', f.blobKey)
        .returning('location')
        .executeTakeFirst();
      if (!blob) return null;
      await this.insertFileRow(trx, f);
      return { location: blob.location };
    });
  }

  async insertWithBlobRef(f: FileRecord, inlineData?: Buffer): Promise<{ location: string }> {
    return this.writes.run(async (trx) => {
      await this.refuseTakenId(trx, f.id);
      const blob = await insertOrReferenceBlob.first(
        trx,
        f.blobKey,
        f.blobLocation,
        f.size,
        inlineData ?? null,
        f.createdAt,
      );
      if (!blob) throw new Error(`blob ${f.blobKey}: the upsert returned no row`);
      await this.insertFileRow(trx, f);
      return { location: blob.location };
    });
  }

  /** An id clash is found before anything is written, so only that upload retries (with a new id). */
  private async refuseTakenId(trx: Kysely<Database>, id: string): Promise<void> {
    const clash = await fileIdTaken.first(trx, id);
    if (clash) throw new JobRefused(new DuplicateIdError());
  }

  private async insertFileRow(trx: Kysely<Database>, f: FileRecord): Promise<void> {
    await insertFile.run(
      trx,
      f.id,
      f.name,
      f.size,
      f.mimeType,
      f.blobKey,
      f.ownerId,
      f.deleteKeyHash,
      f.createdAt,
      f.lastViewAt,
      f.expiresAt ?? null,
      f.uploaderIp ?? null,
      f.lastDownloadAt ?? f.createdAt,
    );
  }

  async readInlineBlob(key: string): Promise<Buffer | null> {
    const row = await inlineDataByKey.first(this.db, key);
    return row?.data ? Buffer.from(row.data) : null;
  }

  async get(id: string): Promise<FileRecord | null> {
    const row = await fileById.first(this.db, id);
    return row ? fileRecordOf(row) : null;
  }

  async getMany(ids: readonly string[]): Promise<FileRecord[]> {
    if (ids.length === 0) return [];
    const rows = await selectFiles(this.db).where('files.id', 'in', ids).execute();
    return rows.map(fileRecordOf);
  }

  async deleteAndReleaseBlob(
    id: string,
  ): Promise<{ location: string; blobUnreferenced: boolean } | null> {
    return this.writes.run(async (trx) => {
      // FileBin's rule: a multipaste goes with any of its files (pixeldrain lists just lose the
      // entry, by cascade).
      await trx
        .deleteFrom('lists')
        .where('kind', '=', 'multipaste')
        .where('id', 'in', (eb) =>
          eb.selectFrom('list_files').select('list_id').where('file_id', '=', id),
        )
        .execute();
      const row = await trx
        .deleteFrom('files')
        .where('id', '=', id)
        .returning('blob_key')
        .executeTakeFirst();
      if (!row) return null;
      const blob = await trx
        .updateTable('blobs')
        .set({ refcount: sql`refcount - 1` })
        .where('key', '=', row.blob_key)
        .returning(['refcount', 'location'])
        .executeTakeFirstOrThrow();
      const unreferenced = num(blob.refcount) <= 0;
      if (unreferenced) await trx.deleteFrom('blobs').where('key', '=', row.blob_key).execute();
      return { location: blob.location, blobUnreferenced: unreferenced };
    });
  }

  async listByOwner(ownerId: string, limit: number): Promise<FileRecord[]> {
    const rows = await selectFiles(this.db)
      .where('files.owner_id', '=', ownerId)
      .orderBy('files.created_at', 'desc')
      .orderBy('files.id')
      .limit(limit)
      .execute();
    return rows.map(fileRecordOf);
  }

  async usageOf(ownerId: string): Promise<{ count: number; bytes: number }> {
    const row = await this.db
      .selectFrom('files')
      .select((eb) => [eb.fn.countAll().as('count'), eb.fn.sum('size').as('bytes')])
      .where('owner_id', '=', ownerId)
      .executeTakeFirstOrThrow();
    return { count: num(row.count), bytes: num(row.bytes ?? 0) };
  }

  async md5Of(blobKeys: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const keys = [...new Set(blobKeys)];
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db
        .selectFrom('blobs')
        .select(['key', 'md5'])
        .where('key', 'in', keys.slice(i, i + 500))
        .where('md5', 'is not', null)
        .execute();
      for (const r of rows) if (r.md5) out.set(r.key, r.md5);
    }
    return out;
  }

  async setMd5(blobKey: string, md5: string): Promise<void> {
    await this.writes.run((trx) =>
      trx.updateTable('blobs').set({ md5 }).where('key', '=', blobKey).execute(),
    );
  }

  async distinctBytesOf(ownerId: string): Promise<number> {
    const row = await this.db
      .selectFrom('blobs')
      .select((eb) => eb.fn.sum<number | string>('size').as('bytes'))
      .where('key', 'in', (eb) =>
        eb.selectFrom('files').select('blob_key').where('owner_id', '=', ownerId),
      )
      .executeTakeFirstOrThrow();
    return num(row.bytes ?? 0);
  }

  async listExpired(now: number, limit: number): Promise<FileRecord[]> {
    const rows = await selectFiles(this.db)
      .where('files.expires_at', 'is not', null)
      .where('files.expires_at', '<=', now)
      .orderBy('files.expires_at')
      .limit(limit)
      .execute();
    return rows.map(fileRecordOf);
  }

  async rename(id: string, name: string): Promise<boolean> {
    const res = await this.db
      .updateTable('files')
      .set({ name })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}
