import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/storage/db.js';
import { initInstance, runCli, startServer, tempDir } from './helpers.js';

/** `stowage user set-quota|expiry-exempt` and `stowage invite create|list` (issue 15). */
describe('stowage CLI: limits and invites', () => {
  let dataDir: string;
  const dd = () => ['--data-dir', dataDir];
  const env = { STOWAGE_PUBLIC_URL: 'https://files.example.org' };

  beforeAll(async () => {
    dataDir = path.join(await tempDir('stowage-cli-limits-'), 'data');
    await initInstance(dataDir);
    expect((await runCli(['user', 'add', 'alice', ...dd()])).code).toBe(0);
  });

  const db = () => openSqlite(dataDir);
  afterAll(() => fs.rm(path.dirname(dataDir), { recursive: true, force: true }));

  it('user set-quota: sizes with units, `unlimited` and `default`; audit-logged as cli', async () => {
    const r = await runCli(
      ['user', 'set-quota', 'alice', '--storage', '5GB', '--daily', 'unlimited', '--files', '3'],
      { env: { STOWAGE_DATA_DIR: dataDir } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('alice: storage 5000000000 bytes, daily unlimited, files 3');
    const again = await runCli([
      'user',
      'set-quota',
      'alice',
      '--storage',
      'default',
      '--reason',
      'back to normal',
      ...dd(),
    ]);
    expect(again.code).toBe(0);
    const d = db();
    try {
      const row = await d
        .selectFrom('users')
        .select(['storage_quota', 'daily_upload_quota', 'max_files'])
        .where('username', '=', 'alice')
        .executeTakeFirstOrThrow();
      expect([row.storage_quota, Number(row.daily_upload_quota), Number(row.max_files)]).toEqual([
        null,
        -1,
        3,
      ]);
      const audit = await d
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'user.limits')
        .orderBy('at')
        .execute();
      expect(audit).toHaveLength(2);
      expect(audit[1]).toMatchObject({
        actor_name: 'cli',
        actor_id: null,
        reason: 'back to normal',
      });
    } finally {
      await d.destroy();
    }
  });

  it('user set-quota refuses bad sizes and no options (exit 2)', async () => {
    for (const args of [['--storage', 'lots'], ['--files', '-5'], []]) {
      const r = await runCli(['user', 'set-quota', 'alice', ...args, ...dd()]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^stowage: /);
    }
    const nobody = await runCli(['user', 'set-quota', 'nobody', '--files', '1', ...dd()]);
    expect(nobody.code).toBe(2);
  });

  it('user expiry-exempt on|off', async () => {
    expect((await runCli(['user', 'expiry-exempt', 'alice', 'on', ...dd()])).stdout).toContain(
      'alice: expiry exempt on',
    );
    const d = db();
    try {
      const row = await d
        .selectFrom('users')
        .select('expiry_exempt')
        .where('username', '=', 'alice')
        .executeTakeFirstOrThrow();
      expect(Number(row.expiry_exempt)).toBe(1);
    } finally {
      await d.destroy();
    }
    expect((await runCli(['user', 'expiry-exempt', 'alice', 'maybe', ...dd()])).code).toBe(2);
  });

  it('invite create prints the code once and a link; invite list never shows codes', async () => {
    const r = await runCli(['invite', 'create', '--days', '2', ...dd()], { env });
    expect(r.code).toBe(0);
    const [code, url, expires] = r.stdout.trim().split('\n');
    expect(code).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(url).toBe(`https://files.example.org/register?invite=${code}`);
    expect(expires).toMatch(/^expires \d{4}-/);
    expect((await runCli(['invite', 'create', '--days', '0', ...dd()])).code).toBe(2);

    // The invite registers an account on a server in invite mode.
    const s = await startServer({ registration: 'invite' }, dataDir);
    try {
      const reg = await fetch(`${s.url}/api/user/register`, {
        method: 'POST',
        body: new URLSearchParams({ username: 'bob', password: 'a long password', invite: code! }),
      });
      expect(reg.status).toBe(201);
    } finally {
      await s.close();
    }
    const list = await runCli(['invite', 'list', ...dd()]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toBe('ID\tCREATED\tBY\tEXPIRES\tUSED\tUSED BY');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^[0-9a-f]{8}\tcli\t|^[0-9a-f]{8}\t\d{4}-.*\tcli\t.*\tbob$/);
    expect(list.stdout).not.toContain(code);
  });
});
