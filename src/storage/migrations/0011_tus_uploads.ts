import { type Kysely } from 'kysely';

// Resumable (tus) uploads (issue 17): one row per upload, from its creation until it expires, so
// the per-owner count of unfinished uploads and their declared bytes (quotas) hold across
// processes and nodes, and a finished upload still says which file it became.
// Portable DDL only (SQLite and PostgreSQL).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tus_uploads')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    // null: an anonymous upload (a capability by its URL).
    .addColumn('owner_id', 'varchar(36)', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('owner_ip', 'varchar(64)')
    // Upload-Length.
    .addColumn('length', 'bigint', (c) => c.notNull())
    // The file name from Upload-Metadata (checked at creation).
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Unfinished: its last write + the expiry; finished: when the row itself goes.
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    // The file it became, once the last byte arrived (null while unfinished).
    .addColumn('file_id', 'varchar(32)')
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('tus_uploads_owner')
    .on('tus_uploads')
    .columns(['owner_id', 'file_id'])
    .execute();
  await db.schema
    .createIndex('tus_uploads_ip')
    .on('tus_uploads')
    .columns(['owner_ip', 'file_id'])
    .execute();
  await db.schema
    .createIndex('tus_uploads_expires')
    .on('tus_uploads')
    .column('expires_at')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tus_uploads').execute();
}
