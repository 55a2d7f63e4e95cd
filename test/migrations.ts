// Shared by the migration suites: a Migrator over the compiled-in migrations, and one suite run on
// a fresh SQLite database and, when the scale-out services are there, in a PostgreSQL schema of
// its own (dropped at the end).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { isPostgres, MIGRATIONS, openPostgres, openSqlite, type Db } from '../src/storage/db.js';
import { tempDir } from './helpers.js';
import { PG_URL, scaleOutUnavailable } from './scaleout.js';

export function migrator(db: Db, schema: string | null): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

export type OpenedStack = { db: Db; schema: string | null; close(): Promise<void> };

const unavailable = await scaleOutUnavailable();

/**
 * `<name> on SQLite` and `… on PostgreSQL`: each opens its database (not migrated) before
 * `suite`'s tests (which read it through `stack()`) and closes it after them.
 */
export function onBothStacks(name: string, suite: (stack: () => OpenedStack) => void) {
  const withStack = (open: () => Promise<OpenedStack>) => {
    let opened: OpenedStack | undefined;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.close();
    });
    suite(() => opened!);
  };

  describe(`${name} on SQLite`, () => {
    withStack(async () => {
      const dir = await tempDir('stowage-migration-');
      const db = openSqlite(dir);
      return {
        db,
        schema: null,
        close: async () => {
          await db.destroy();
          await fs.rm(dir, { recursive: true, force: true });
        },
      };
    });
  });

  describe.skipIf(unavailable !== null)(`${name} on PostgreSQL`, () => {
    withStack(async () => {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const db = openPostgres(PG_URL, 2, schema);
      expect(isPostgres(db)).toBe(true);
      await sql`create schema ${sql.id(schema)}`.execute(db);
      return {
        db,
        schema,
        close: async () => {
          await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
          await db.destroy();
        },
      };
    });
  });
}
