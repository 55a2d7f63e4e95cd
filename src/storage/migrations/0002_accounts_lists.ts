import type { Kysely } from 'kysely';

// Accounts (e-mail, session details) and lists. Portable DDL only (SQLite and PostgreSQL).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('email', 'varchar(254)').execute();
  await db.schema.createIndex('users_email').on('users').column('email').unique().execute();
  await db.schema
    .alterTable('api_keys')
    .addColumn('user_agent', 'varchar(512)', (c) => c.notNull().defaultTo(''))
    .execute();

  await db.schema
    .createTable('lists')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('title', 'varchar(1024)', (c) => c.notNull())
    // Anonymous lists belong to nobody; a user's lists go with the user.
    .addColumn('owner_id', 'varchar(36)', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('lists_owner').on('lists').column('owner_id').execute();

  await db.schema
    .createTable('list_files')
    .addColumn('list_id', 'varchar(32)', (c) =>
      c.notNull().references('lists.id').onDelete('cascade'),
    )
    .addColumn('position', 'integer', (c) => c.notNull())
    // A file deleted later simply drops out of its lists.
    .addColumn('file_id', 'varchar(32)', (c) =>
      c.notNull().references('files.id').onDelete('cascade'),
    )
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addPrimaryKeyConstraint('list_files_pk', ['list_id', 'position'])
    .execute();
  await db.schema.createIndex('list_files_file').on('list_files').column('file_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('list_files').execute();
  await db.schema.dropTable('lists').execute();
  await db.schema.alterTable('api_keys').dropColumn('user_agent').execute();
  await db.schema.dropIndex('users_email').execute();
  await db.schema.alterTable('users').dropColumn('email').execute();
}
