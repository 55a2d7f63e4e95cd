import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, scaleOutUnavailable } from '../../test/scaleout.js';
import { migrate, openPostgres, type Db } from './db.js';

const unavailable = await scaleOutUnavailable();
const name = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

/**
 * The introspector of PostgreSQL connections (the migrator's "does my table exist?") sees only the
 * search path, and does not fail when another schema of the database is dropped meanwhile: a CI
 * run failed on that, a CLI command's migration check against another suite's schema drop.
 */
describe.skipIf(unavailable !== null)('PostgreSQL introspection', () => {
  const ours = name('intro');
  const other = name('intro_other');
  let admin: pg.Client;
  let db: Db;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    admin.on('error', () => {});
    await admin.connect();
    await admin.query(`create schema ${ours}; create schema ${other}`);
    await admin.query(`create table ${ours}.things (id serial primary key, label text not null,
      note text default 'x', big bigint generated always as identity)`);
    await admin.query(`create view ${ours}.labels as select label from ${ours}.things`);
    await admin.query(`comment on column ${ours}.things.label is 'what it is called'`);
    await admin.query(
      `create table ${other}.things (id int); create table ${other}.elsewhere (id int)`,
    );
    db = openPostgres(PG_URL, 2, ours);
  });

  afterAll(async () => {
    await db?.destroy();
    await admin?.query(
      `drop schema if exists ${ours} cascade; drop schema if exists ${other} cascade`,
    );
    await admin?.end();
  });

  it("lists the search path's tables and views with their columns, and no other schema's", async () => {
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => [t.schema, t.name, t.isView])).toEqual([
      [ours, 'labels', true],
      [ours, 'things', false],
    ]);
    const things = tables.find((t) => t.name === 'things')!;
    expect(things.columns).toEqual([
      {
        name: 'id',
        dataType: 'int4',
        dataTypeSchema: 'pg_catalog',
        isNullable: false,
        isAutoIncrementing: true,
        hasDefaultValue: true,
        comment: undefined,
      },
      {
        name: 'label',
        dataType: 'text',
        dataTypeSchema: 'pg_catalog',
        isNullable: false,
        isAutoIncrementing: false,
        hasDefaultValue: false,
        comment: 'what it is called',
      },
      {
        name: 'note',
        dataType: 'text',
        dataTypeSchema: 'pg_catalog',
        isNullable: true,
        isAutoIncrementing: false,
        hasDefaultValue: true,
        comment: undefined,
      },
      {
        name: 'big',
        dataType: 'int8',
        dataTypeSchema: 'pg_catalog',
        isNullable: false,
        isAutoIncrementing: true,
        hasDefaultValue: false,
        comment: undefined,
      },
    ]);
  });

  it("leaves out Kysely's own tables unless asked, and sees them in its schema only", async () => {
    const fresh = name('intro_mig');
    const migrated = openPostgres(PG_URL, 2, fresh);
    try {
      // Another schema of the database (ours) holds a kysely_migration: not this one's.
      await admin.query(`create table ${ours}.kysely_migration (name text)`);
      await migrate(migrated, fresh);
      const names = (await migrated.introspection.getTables()).map((t) => t.name);
      expect(names).toContain('files');
      expect(names).not.toContain('kysely_migration');
      const all = await migrated.introspection.getTables({ withInternalKyselyTables: true });
      expect(all.filter((t) => t.name.startsWith('kysely_')).map((t) => t.schema)).toEqual([
        fresh,
        fresh,
      ]);
      // Once more: the migrator finds its table, so nothing runs again.
      expect(await migrate(migrated, fresh)).toEqual([]);
    } finally {
      await admin.query(`drop table if exists ${ours}.kysely_migration`);
      await sql`drop schema if exists ${sql.id(fresh)} cascade`.execute(migrated);
      await migrated.destroy();
    }
  });

  it("without a configured schema, migrates the search path's schema though another has Kysely's table", async () => {
    // STOWAGE_DATABASE_SCHEMA unset: the search path is the server's (here set through the URL,
    // as a role's default would be). Kysely's introspection found ours's kysely_migration and
    // took this database for migrated.
    const fresh = name('intro_path');
    await admin.query(`create schema ${fresh}; create table ${ours}.kysely_migration (name text)`);
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${fresh}`);
    const unnamed = openPostgres(url.toString(), 1, null);
    try {
      const applied = await migrate(unnamed, null);
      expect(applied.length).toBeGreaterThan(10);
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from pg_tables where schemaname = $1 and tablename = 'files'`,
        [fresh],
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      await unnamed.destroy();
      await admin.query(
        `drop schema if exists ${fresh} cascade; drop table if exists ${ours}.kysely_migration`,
      );
    }
  });

  it('does not fail while other schemas of the database are dropped', async () => {
    // Another client creates and drops schemas with tables as fast as it can (other instances or
    // test runs sharing the database); Kysely's own introspector failed ~1 call in 10 here.
    const churn = new pg.Client({ connectionString: PG_URL });
    churn.on('error', () => {});
    await churn.connect();
    const prefix = name('churn');
    let stop = false;
    let churned = 0;
    const churning = (async () => {
      while (!stop) {
        const s = `${prefix}_${churned++ % 4}`;
        await churn.query(`create schema ${s}; create table ${s}.t (a serial, b text)`);
        await churn.query(`drop schema ${s} cascade`);
      }
    })();
    let calls = 0;
    try {
      const until = Date.now() + 1500;
      while (Date.now() < until || churned < 100) {
        const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
        const names = tables.filter((t) => t.schema === ours).map((t) => t.name);
        expect(names).toEqual(['labels', 'things']);
        calls++;
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
    expect(churned).toBeGreaterThanOrEqual(100);
    expect(calls).toBeGreaterThan(10);
  });
});
