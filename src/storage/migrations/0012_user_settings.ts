import { type Kysely } from 'kysely';

// Sharing settings of an account (issue 19): pixeldrain's `skip_file_viewer` (links to the viewer
// of its files go straight to the file) and `embed_domains` (host names that may frame the viewer
// of its files; stored space-separated, as GET /api/user reports them in `file_embed_domains`).
// Portable DDL only (SQLite and PostgreSQL).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('skip_file_viewer', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('users')
    .addColumn('embed_domains', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('embed_domains').execute();
  await db.schema.alterTable('users').dropColumn('skip_file_viewer').execute();
}
