import { sql, type Kysely } from 'kysely';

// Operating a public instance (issue 15): virus scan results kept with each blob, admin blocks and
// the uploader's address on files, account limits and states, blocked content hashes, abuse
// reports, the admin audit log and registration invites. Portable DDL only (SQLite and PostgreSQL).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Scan result per content (once per SHA-256): null = not scanned yet; clean | infected | error |
  // unscanned (larger than the scanner takes: never reported clean).
  for (const [name, type] of [
    ['scan_status', 'varchar(16)'],
    ['scan_signature', 'text'],
    ['scan_engine', 'text'],
    ['scanned_at', 'bigint'],
  ] as const) {
    await db.schema.alterTable('blobs').addColumn(name, type).execute();
  }
  await db.schema
    .createIndex('blobs_scan')
    .on('blobs')
    .columns(['scan_status', 'scanned_at'])
    .execute();

  // Files: where the upload came from (admin search; anonymous limits), an admin block (pixeldrain's
  // abuse_type, non-empty = blocked, with a reason shown on the viewer), and the inactivity timer
  // (the upload time, moved by downloads that reset it; existing files start from their upload).
  for (const [name, type] of [
    ['uploader_ip', 'varchar(64)'],
    ['abuse_type', 'varchar(32)'],
    ['block_reason', 'text'],
    ['blocked_at', 'bigint'],
    ['last_download_at', 'bigint'],
  ] as const) {
    await db.schema.alterTable('files').addColumn(name, type).execute();
  }
  await sql`update files set last_download_at = created_at`.execute(db);
  await db.schema
    .createIndex('files_last_download')
    .on('files')
    .column('last_download_at')
    .execute();
  await db.schema.createIndex('files_uploader_ip').on('files').column('uploader_ip').execute();
  await db.schema
    .createIndex('files_owner_created')
    .on('files')
    .columns(['owner_id', 'created_at'])
    .execute();

  // Accounts: disabled by an admin; per-account limits (null = the instance default, -1 = none);
  // exempt from inactivity expiry.
  await db.schema
    .alterTable('users')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  for (const name of ['storage_quota', 'daily_upload_quota', 'max_files']) {
    await db.schema.alterTable('users').addColumn(name, 'bigint').execute();
  }
  await db.schema
    .alterTable('users')
    .addColumn('expiry_exempt', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // Content that may not be uploaded again (SHA-256 hex).
  await db.schema
    .createTable('blocked_hashes')
    .addColumn('blob_key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .execute();

  // Abuse reports. reporter_ip is the address, replaced by "sha256:<hex>" after 30 days.
  await db.schema
    .createTable('abuse_reports')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('file_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('reporter_ip', 'varchar(80)', (c) => c.notNull())
    .addColumn('reporter_user_id', 'varchar(64)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // open | resolved | dismissed
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('open'))
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolved_by', 'varchar(64)')
    .addColumn('resolution', 'text')
    .execute();
  await db.schema
    .createIndex('abuse_reports_file')
    .on('abuse_reports')
    .columns(['file_id', 'reporter_ip'])
    .execute();
  await db.schema
    .createIndex('abuse_reports_status')
    .on('abuse_reports')
    .columns(['status', 'created_at'])
    .execute();

  // Every admin action: who (user id, or "cli" for the command line), what, on what, when, why.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(64)')
    .addColumn('actor_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('target_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('target_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

  // Single-use registration invites (STOWAGE_REGISTRATION=invite); only the code's hash is kept.
  await db.schema
    .createTable('invites')
    .addColumn('code_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('used_by', 'varchar(64)')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['invites', 'audit_log', 'abuse_reports', 'blocked_hashes']) {
    await db.schema.dropTable(t).execute();
  }
  for (const c of [
    'expiry_exempt',
    'max_files',
    'daily_upload_quota',
    'storage_quota',
    'disabled',
  ]) {
    await db.schema.alterTable('users').dropColumn(c).execute();
  }
  await db.schema.dropIndex('files_owner_created').execute();
  await db.schema.dropIndex('files_uploader_ip').execute();
  await db.schema.dropIndex('files_last_download').execute();
  for (const c of ['last_download_at', 'blocked_at', 'block_reason', 'abuse_type', 'uploader_ip']) {
    await db.schema.alterTable('files').dropColumn(c).execute();
  }
  await db.schema.dropIndex('blobs_scan').execute();
  for (const c of ['scanned_at', 'scan_engine', 'scan_signature', 'scan_status']) {
    await db.schema.alterTable('blobs').dropColumn(c).execute();
  }
}
