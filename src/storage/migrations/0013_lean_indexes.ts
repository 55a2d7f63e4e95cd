import { sql, type Kysely } from 'kysely';

// Fewer index entries per upload (performance issue 18): every insert into `files` writes one
// entry into each of its indexes, and small uploads are mostly that. Measured with better-sqlite3
// directly, these two changes save ~7 µs of the ~75 µs of SQLite work an upload costs.
// - `files_owner` (owner_id) goes: `files_owner_created` (owner_id, created_at, 0009) has owner_id
//   as its leftmost column and serves every owner lookup, the foreign key's `on delete set null`
//   lookup included.
// - `files_expires_at` (0005) becomes partial, `where expires_at is not null`: most files never
//   expire, and their rows no longer enter it. Its only user, the expiry sweep (listExpired in
//   file-repository.ts), already says `expires_at is not null`, so both planners still pick it.
// Portable DDL only (SQLite and PostgreSQL both have partial indexes).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('files_owner').execute();
  await db.schema.dropIndex('files_expires_at').execute();
  await db.schema
    .createIndex('files_expires_at')
    .on('files')
    .column('expires_at')
    .where(sql.ref('expires_at'), 'is not', null)
    .execute();
}

// Exactly as 0001 and 0005 made them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('files_expires_at').execute();
  await db.schema.createIndex('files_expires_at').on('files').column('expires_at').execute();
  await db.schema.createIndex('files_owner').on('files').column('owner_id').execute();
}
