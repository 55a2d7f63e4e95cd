import { type Kysely } from 'kysely';

// The filesystem API (issue 16): each account's tree of directories and files, and its change log.
// A file node references a blob as a file does (blobs.refcount counts both). Paths are kept whole
// (relative to the owner's root: '' is the root, '/docs/a.txt' a file) so a path resolves in one
// indexed read; a rename of a directory rewrites its subtree's paths in one statement.
// Portable DDL only (SQLite and PostgreSQL).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fs_nodes')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('owner_id', 'varchar(36)', (c) =>
      c.notNull().references('users.id').onDelete('cascade'),
    )
    // null for the root of a tree.
    .addColumn('parent_id', 'varchar(32)')
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // 'dir' | 'file'
    .addColumn('type', 'varchar(8)', (c) => c.notNull())
    // Levels below the root (the root is 0).
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    // When the server last wrote the node's content (quotas count uploads by it).
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // Unix permission bits (0o644 = 420).
    .addColumn('mode', 'integer', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0))
    // Downloads started and bytes sent of a file node (?download_stats).
    .addColumn('downloads', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transfer', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('blob_key', 'varchar(128)', (c) => c.references('blobs.key'))
    .addColumn('mime_type', 'varchar(255)')
    // The public id of a shared node (its /d/{id} link); null when not shared.
    .addColumn('share_id', 'varchar(16)', (c) => c.unique())
    // JSON objects, null when unset.
    .addColumn('link_permissions', 'text')
    .addColumn('user_permissions', 'text')
    .addColumn('password_permissions', 'text')
    .addColumn('properties', 'text')
    .execute();
  await db.schema
    .createIndex('fs_nodes_owner_path')
    .on('fs_nodes')
    .columns(['owner_id', 'path'])
    .unique()
    .execute();
  await db.schema.createIndex('fs_nodes_parent').on('fs_nodes').columns(['parent_id']).execute();
  await db.schema.createIndex('fs_nodes_blob').on('fs_nodes').column('blob_key').execute();

  // What changed, for rclone's ChangeNotify (?change_log): kept 30 days.
  await db.schema
    .createTable('fs_changes')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('owner_id', 'varchar(36)', (c) =>
      c.notNull().references('users.id').onDelete('cascade'),
    )
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('path_new', 'text', (c) => c.notNull().defaultTo(''))
    // created | updated | moved | deleted
    .addColumn('action', 'varchar(16)', (c) => c.notNull())
    .addColumn('type', 'varchar(8)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('fs_changes_owner_at')
    .on('fs_changes')
    .columns(['owner_id', 'at'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('fs_changes').execute();
  await db.schema.dropTable('fs_nodes').execute();
}
