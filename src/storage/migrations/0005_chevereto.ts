import type { Kysely } from 'kysely';

// Expiring files, file attributes (Chevereto's title, description, tags, category, nsfw) and the
// lock rows background jobs take so that one node at a time runs them. Portable DDL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Epoch ms after which the file is no longer served (and the sweep deletes it); null = never.
  await db.schema.alterTable('files').addColumn('expires_at', 'bigint').execute();
  await db.schema.createIndex('files_expires_at').on('files').column('expires_at').execute();

  await db.schema
    .createTable('file_attributes')
    .addColumn('file_id', 'varchar(64)', (c) =>
      c.primaryKey().references('files.id').onDelete('cascade'),
    )
    .addColumn('title', 'varchar(400)')
    .addColumn('description', 'text')
    // Tags as a JSON array of strings.
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('category_id', 'varchar(64)')
    .addColumn('nsfw', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('locks')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('locks').execute();
  await db.schema.dropTable('file_attributes').execute();
  await db.schema.dropIndex('files_expires_at').execute();
  await db.schema.alterTable('files').dropColumn('expires_at').execute();
}
