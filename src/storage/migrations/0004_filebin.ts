import { PostgresAdapter, sql, type Kysely } from 'kysely';

// The FileBin dialect: key access levels, lazily computed MD5s, multipastes as a kind of list, and
// ids up to 64 characters (`minimum-id-length`; multipastes add "m-"). Portable DDL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Existing keys (pixeldrain sessions, CLI keys) keep full rights.
  await db.schema
    .alterTable('api_keys')
    .addColumn('access_level', 'varchar(8)', (c) => c.notNull().defaultTo('full'))
    .execute();
  // MD5 hex of the content, filled on first need (FileBin's `hash`), never on the upload path.
  await db.schema.alterTable('blobs').addColumn('md5', 'varchar(32)').execute();
  await db.schema
    .alterTable('lists')
    .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('list'))
    .execute();
  await db.schema
    .createIndex('lists_owner_kind')
    .on('lists')
    .columns(['owner_id', 'kind'])
    .execute();
  // SQLite does not enforce varchar lengths; PostgreSQL does: widen the id columns there.
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Widening a varchar keeps the foreign keys valid (no rewrite, constraints stay).
    await sql`alter table files alter column id type varchar(64)`.execute(db);
    await sql`alter table list_files alter column file_id type varchar(64)`.execute(db);
    await sql`alter table lists alter column id type varchar(80)`.execute(db);
    await sql`alter table list_files alter column list_id type varchar(80)`.execute(db);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('lists_owner_kind').execute();
  await db.schema.alterTable('lists').dropColumn('kind').execute();
  await db.schema.alterTable('blobs').dropColumn('md5').execute();
  await db.schema.alterTable('api_keys').dropColumn('access_level').execute();
}
