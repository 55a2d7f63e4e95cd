import type { Kysely } from 'kysely';

// Media metadata and derived images (thumbnails...), both keyed by content hash. No foreign key to
// blobs: rows are removed by the media layer when a blob is released (it deletes the stored
// objects too), and a start-up sweep removes what a crash left. Portable DDL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('media')
    .addColumn('blob_key', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('animated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duration_ms', 'bigint')
    .addColumn('taken_at', 'bigint')
    .addColumn('error', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('derived_images')
    .addColumn('blob_key', 'varchar(128)', (c) => c.notNull())
    .addColumn('variant', 'varchar(64)', (c) => c.notNull())
    .addColumn('location', 'varchar(255)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('derived_images_pk', ['blob_key', 'variant'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('derived_images').execute();
  await db.schema.dropTable('media').execute();
}
