import type { Kysely } from 'kysely';

// Traffic accounting: bytes sent to exempt downloaders (pixeldrain's bandwidth_used_paid).
// Portable DDL only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('files')
    .addColumn('bandwidth_paid', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('files').dropColumn('bandwidth_paid').execute();
}
