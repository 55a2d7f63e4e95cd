// Migration 0012 (users' sharing settings) on both stacks: an account made before it gets the
// defaults, the repository reads and writes the new columns, and down removes them again.
import { expect, it } from 'vitest';
import type { Db } from '../src/storage/db.js';
import { KyselyUserRepository } from '../src/storage/user-repository.js';
import { migrator, onBothStacks, type OpenedStack } from './migrations.js';

async function columnsOfUsers(db: Db): Promise<string[]> {
  const row = (await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', 'before')
    .executeTakeFirstOrThrow()) as Record<string, unknown>;
  return Object.keys(row);
}

function suite(stack: () => OpenedStack) {
  it('an account made before 0012 gets the defaults; the settings are stored; down drops them', async () => {
    const { db, schema } = stack();
    const m = migrator(db, schema);
    const to11 = await m.migrateTo('0011_tus_uploads');
    expect(to11.error).toBeUndefined();
    await db
      .insertInto('users')
      .values({
        id: 'before',
        username: 'before',
        password_hash: null,
        is_admin: 0,
        created_at: 1,
        email: null,
      })
      .execute();
    expect(await columnsOfUsers(db)).not.toContain('embed_domains');

    const up = await m.migrateToLatest();
    expect(up.error).toBeUndefined();
    expect(up.results?.map((r) => [r.migrationName, r.status])).toContainEqual([
      '0012_user_settings',
      'Success',
    ]);
    const repo = new KyselyUserRepository(db);
    expect(await repo.findUserById('before')).toMatchObject({
      skipFileViewer: false,
      embedDomains: [],
    });
    expect(
      await repo.setSharing('before', {
        skipFileViewer: true,
        embedDomains: ['a.example', '*.b.example'],
      }),
    ).toBe(true);
    expect(await repo.findUserById('before')).toMatchObject({
      skipFileViewer: true,
      embedDomains: ['a.example', '*.b.example'],
    });
    // The stored form is GET /api/user's file_embed_domains.
    const raw = await db
      .selectFrom('users')
      .select(['embed_domains', 'skip_file_viewer'])
      .where('id', '=', 'before')
      .executeTakeFirstOrThrow();
    expect(raw.embed_domains).toBe('a.example *.b.example');
    expect(Number(raw.skip_file_viewer)).toBe(1);
    // Only what is given changes.
    expect(await repo.setSharing('before', { embedDomains: [] })).toBe(true);
    expect(await repo.findUserById('before')).toMatchObject({
      skipFileViewer: true,
      embedDomains: [],
    });
    expect(await repo.setSharing('nobody', { skipFileViewer: true })).toBe(false);

    // Down to before 0012 (later migrations, if any, go down first).
    const down = await m.migrateTo('0011_tus_uploads');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toContainEqual([
      '0012_user_settings',
      'Down',
      'Success',
    ]);
    const cols = await columnsOfUsers(db);
    expect(cols).not.toContain('embed_domains');
    expect(cols).not.toContain('skip_file_viewer');
    expect(cols).toContain('hotlinking_enabled');
    // And up again.
    expect((await m.migrateToLatest()).error).toBeUndefined();
    expect(await columnsOfUsers(db)).toContain('embed_domains');
  });
}

onBothStacks('migration 0012_user_settings', suite);
