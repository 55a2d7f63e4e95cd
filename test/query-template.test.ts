// QueryTemplate (src/storage/query-template.ts) on both stacks: a query compiled once runs with
// each call's arguments, keeps the constants written in it, serves a database and its
// transactions alike, and refuses an argument that does not end up a parameter.
import { sql, type Kysely } from 'kysely';
import { expect, it, vi } from 'vitest';
import { QueryTemplate } from '../src/storage/query-template.js';
import type { Database } from '../src/storage/schema.js';
import { migrator, onBothStacks, type OpenedStack } from './migrations.js';

function suite(stack: () => OpenedStack) {
  it('runs each call with its own arguments, the query compiled once', async () => {
    const { db, schema } = stack();
    const { error } = await migrator(db, schema).migrateToLatest();
    expect(error).toBeUndefined();

    const build = vi.fn((d: Kysely<Database>, key: string, location: string, data: Buffer | null) =>
      d
        .insertInto('blobs')
        .values({ key, location, size: 3, refcount: 1, data, created_at: 42 })
        .onConflict((oc) => oc.column('key').doUpdateSet({ refcount: sql`blobs.refcount + 1` }))
        .returning(['location', 'refcount']),
    );
    const upsert = new QueryTemplate(3, build);
    expect(await upsert.first(db, 'k1', 'loc-1', Buffer.from('abc'))).toMatchObject({
      location: 'loc-1',
    });
    expect(await upsert.first(db, 'k2', 'loc-2', null)).toMatchObject({ location: 'loc-2' });
    // The conflict branch: the row keeps its location and gains a reference.
    const again = await upsert.first(db, 'k1', 'other', null);
    expect(again?.location).toBe('loc-1');
    expect(Number(again?.refcount)).toBe(2);

    // Inside a transaction too, and still compiled once for this dialect.
    await db.transaction().execute(async (trx) => {
      await upsert.run(trx, 'k3', 'loc-3', null);
    });
    expect(build).toHaveBeenCalledTimes(1);

    const rows = await db
      .selectFrom('blobs')
      .select(['key', 'location', 'size', 'refcount', 'data', 'created_at'])
      .orderBy('key')
      .execute();
    expect(
      rows.map((r) => ({
        ...r,
        size: Number(r.size),
        refcount: Number(r.refcount),
        created_at: Number(r.created_at),
        data: r.data ? Buffer.from(r.data).toString() : null,
      })),
    ).toEqual([
      { key: 'k1', location: 'loc-1', size: 3, refcount: 2, data: 'abc', created_at: 42 },
      { key: 'k2', location: 'loc-2', size: 3, refcount: 1, data: null, created_at: 42 },
      { key: 'k3', location: 'loc-3', size: 3, refcount: 1, data: null, created_at: 42 },
    ]);

    const byKey = new QueryTemplate(1, (d, key: string) =>
      d.selectFrom('blobs').select('location').where('key', '=', key),
    );
    expect(await byKey.first(db, 'k2')).toEqual({ location: 'loc-2' });
    expect(await byKey.first(db, 'k3')).toEqual({ location: 'loc-3' });
    expect(await byKey.first(db, 'nope')).toBeUndefined();
  });

  it('refuses an argument that is not a parameter of the query', async () => {
    const { db } = stack();
    const unused = new QueryTemplate(2, (d, key: string, _other: string) =>
      d.selectFrom('blobs').select('location').where('key', '=', key),
    );
    await expect(unused.first(db, 'k1', 'x')).rejects.toThrow(/argument 1 is not a parameter/);
    // Turned into something else before it reached the query: the SQL would carry the wrong value.
    const changed = new QueryTemplate(1, (d, key: string) =>
      d.selectFrom('blobs').select('location').where('key', '=', `${key}`),
    );
    await expect(changed.first(db, 'k1')).rejects.toThrow(/argument 0 is not a parameter/);
  });
}

onBothStacks('query templates', suite);
