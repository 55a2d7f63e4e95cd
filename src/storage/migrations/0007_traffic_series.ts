import type { Kysely } from 'kysely';

// Traffic time series: views, downloads and bytes per file and per owner, in buckets. `resolution`
// is the bucket length in minutes (1, 60, 1440: minutes roll up into hours, hours into days as
// they age); `bucket` the epoch ms the bucket starts at. A file's rows go with the file, a user's
// with the user. Portable DDL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('file_traffic')
    .addColumn('file_id', 'varchar(64)', (c) =>
      c.notNull().references('files.id').onDelete('cascade'),
    )
    .addColumn('resolution', 'integer', (c) => c.notNull())
    .addColumn('bucket', 'bigint', (c) => c.notNull())
    .addColumn('views', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('downloads', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bandwidth', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bandwidth_paid', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('file_traffic_pk', ['file_id', 'resolution', 'bucket'])
    .execute();
  // The rollup scans by age within a resolution.
  await db.schema
    .createIndex('file_traffic_age')
    .on('file_traffic')
    .columns(['resolution', 'bucket'])
    .execute();

  await db.schema
    .createTable('user_traffic')
    .addColumn('user_id', 'varchar(36)', (c) =>
      c.notNull().references('users.id').onDelete('cascade'),
    )
    .addColumn('resolution', 'integer', (c) => c.notNull())
    .addColumn('bucket', 'bigint', (c) => c.notNull())
    .addColumn('views', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('downloads', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bandwidth', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bandwidth_paid', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('user_traffic_pk', ['user_id', 'resolution', 'bucket'])
    .execute();
  await db.schema
    .createIndex('user_traffic_age')
    .on('user_traffic')
    .columns(['resolution', 'bucket'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user_traffic').execute();
  await db.schema.dropTable('file_traffic').execute();
}
