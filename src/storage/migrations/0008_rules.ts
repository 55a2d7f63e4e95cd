import type { Kysely } from 'kysely';

// Download rules: per-account hotlink flags and a small settings table (the captcha's HMAC key,
// generated once and shared by every node of the database). Portable DDL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The uploader allows hotlinking of their files (pixeldrain's `hotlinking_enabled`).
  await db.schema
    .alterTable('users')
    .addColumn('hotlinking_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The operator exempts this account's downloads from the hotlink rule (CLI `user hotlink`).
  await db.schema
    .alterTable('users')
    .addColumn('hotlink_exempt', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('settings')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('settings').execute();
  await db.schema.alterTable('users').dropColumn('hotlink_exempt').execute();
  await db.schema.alterTable('users').dropColumn('hotlinking_enabled').execute();
}
