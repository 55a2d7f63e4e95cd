// Migration 0013 (performance issue 18) on both stacks: `files_owner` goes (files_owner_created
// serves owner lookups), `files_expires_at` becomes partial (only rows that expire); the queries
// still use the indexes left, the expiry sweep still finds expiring files, and down restores both
// indexes exactly as they were.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { isPostgres, type Db } from '../src/storage/db.js';
import { KyselyFileRepository } from '../src/storage/file-repository.js';
import { migrator, onBothStacks, type OpenedStack } from './migrations.js';

/** The indexes of `files` by name, each with its definition (SQLite's sql, PostgreSQL's indexdef). */
async function indexesOfFiles(db: Db, schema: string | null): Promise<Map<string, string>> {
  if (isPostgres(db)) {
    const { rows } = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes
      where schemaname = ${schema ?? 'public'} and tablename = 'files'`.execute(db);
    return new Map(rows.map((r) => [r.indexname, r.indexdef]));
  }
  const { rows } = await sql<{ name: string; sql: string | null }>`
    select name, sql from sqlite_master where type = 'index' and tbl_name = 'files'`.execute(db);
  return new Map(rows.map((r) => [r.name, r.sql ?? '']));
}

/** SQLite's plan for a query, its steps' details joined. */
async function planOf(db: Db, query: ReturnType<typeof sql>): Promise<string> {
  const { rows } = await sql<{ detail: string }>`explain query plan ${query}`.execute(db);
  return rows.map((r) => r.detail).join('\n');
}

const OWNER_QUERY = sql`select id from files where owner_id = ${'u1'}`;
const EXPIRY_QUERY = sql`select id from files where expires_at is not null and expires_at <= ${1000} order by expires_at`;

async function insertFile(db: Db, id: string, ownerId: string | null, expiresAt: number | null) {
  await db
    .insertInto('files')
    .values({
      id,
      name: `${id}.txt`,
      size: 3,
      mime_type: 'text/plain',
      blob_key: 'blob1',
      owner_id: ownerId,
      delete_key_hash: null,
      created_at: 1,
      last_view_at: 1,
      expires_at: expiresAt,
    })
    .execute();
}

function suite(stack: () => OpenedStack) {
  it('drops files_owner, makes files_expires_at partial; queries and the sweep still work; down restores both', async () => {
    const { db, schema } = stack();
    const pg = isPostgres(db);
    const m = migrator(db, schema);
    const to12 = await m.migrateTo('0012_user_settings');
    expect(to12.error).toBeUndefined();
    const before = await indexesOfFiles(db, schema);
    expect(before.has('files_owner')).toBe(true);
    expect(before.has('files_owner_created')).toBe(true);
    expect(before.has('files_expires_at')).toBe(true);
    expect(before.get('files_expires_at')!.toLowerCase()).not.toContain('where');

    await db
      .insertInto('users')
      .values({
        id: 'u1',
        username: 'u1',
        password_hash: null,
        is_admin: 0,
        created_at: 1,
        email: null,
      })
      .execute();
    await db
      .insertInto('blobs')
      .values({ key: 'blob1', location: 'loc1', size: 3, refcount: 4, data: null, created_at: 1 })
      .execute();
    await insertFile(db, 'old-expiring', 'u1', 500);
    await insertFile(db, 'old-forever', 'u1', null);

    const up = await m.migrateToLatest();
    expect(up.error).toBeUndefined();
    expect(up.results?.map((r) => [r.migrationName, r.status])).toContainEqual([
      '0013_lean_indexes',
      'Success',
    ]);
    const after = await indexesOfFiles(db, schema);
    expect(after.has('files_owner')).toBe(false);
    expect(after.has('files_owner_created')).toBe(true);
    expect(after.get('files_expires_at')).toBeDefined();
    if (pg) {
      expect(after.get('files_expires_at')).toContain('WHERE');
      expect(after.get('files_expires_at')).toMatch(/WHERE \(?expires_at IS NOT NULL\)?/);
    } else {
      expect(after.get('files_expires_at')!.toLowerCase()).toContain(
        'where "expires_at" is not null',
      );
      // The planner still has an index for both queries.
      expect(await planOf(db, OWNER_QUERY)).toContain('files_owner_created');
      expect(await planOf(db, EXPIRY_QUERY)).toContain('files_expires_at');
    }

    // Files made before and after the migration: the sweep finds those that expire, in order.
    await insertFile(db, 'new-expiring', 'u1', 700);
    await insertFile(db, 'new-forever', null, null);
    const repo = new KyselyFileRepository(db);
    expect((await repo.listExpired(1000, 10)).map((f) => f.id)).toEqual([
      'old-expiring',
      'new-expiring',
    ]);
    expect((await repo.listExpired(600, 10)).map((f) => f.id)).toEqual(['old-expiring']);
    const { rows: expiring } = await sql<{ id: string }>`${EXPIRY_QUERY}`.execute(db);
    expect(expiring.map((r) => r.id)).toEqual(['old-expiring', 'new-expiring']);
    const { rows: owned } = await sql<{ id: string }>`${OWNER_QUERY}`.execute(db);
    expect(owned.map((r) => r.id).sort()).toEqual(['new-expiring', 'old-expiring', 'old-forever']);

    const down = await m.migrateTo('0012_user_settings');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toContainEqual([
      '0013_lean_indexes',
      'Down',
      'Success',
    ]);
    // Exactly as before: the same names and definitions.
    expect(await indexesOfFiles(db, schema)).toEqual(before);

    // The foreign key's `on delete set null` (files_owner_created serves its lookup after 0013).
    expect((await m.migrateToLatest()).error).toBeUndefined();
    expect((await indexesOfFiles(db, schema)).has('files_owner')).toBe(false);
    await db.deleteFrom('users').where('id', '=', 'u1').execute();
    const orphans = await db
      .selectFrom('files')
      .select('id')
      .where('owner_id', 'is', null)
      .orderBy('id')
      .execute();
    expect(orphans.map((r) => r.id)).toEqual([
      'new-expiring',
      'new-forever',
      'old-expiring',
      'old-forever',
    ]);
  });
}

onBothStacks('migration 0013_lean_indexes', suite);
