import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createUserWithKey,
  ROOT,
  runCli,
  startServer,
  tempDir,
  type TestServer,
} from './helpers.js';

/** The operator's moderation commands, against a server's data dir (SQLite, shared). */
let s: TestServer;
let dir: string;
let key: string;
let fileId: string;
const dd = () => ['--data-dir', s.dataDir];
const sha256 = (b: string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = await tempDir('stowage-cli-mod-');
  s = await startServer({}, dir);
  key = await createUserWithKey(s, 'carol');
  const r = await fetch(`${s.url}/api/file/evidence.txt`, {
    method: 'PUT',
    body: 'cli moderation',
    headers: { authorization: basic(key) },
  });
  fileId = ((await r.json()) as { id: string }).id;
});
afterAll(async () => {
  await s.close();
  await fs.promises.rm(dir, { recursive: true, force: true });
});

const audit = async (targetId: string) =>
  (await s.app.runtime.core.audit.list({ targetId, limit: 1 })).entries[0];

describe('stowage (moderation commands)', () => {
  it('--version prints package.json’s version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('file info, block, unblock, delete; each audit-logged as cli with the reason', async () => {
    let r = await runCli(['file', 'info', fileId, ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/name\s+evidence\.txt/);
    expect(r.stdout).toMatch(/owner\s+carol/);
    expect(r.stdout).toMatch(/blocked\s+no/);
    r = await runCli(['file', 'block', fileId, '--type', 'copyright', '--reason', 'DMCA', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    // This server's cache lives another second at most (another process changed the file).
    await new Promise((res) => setTimeout(res, 1100));
    expect((await fetch(`${s.url}/api/file/${fileId}`)).status).toBe(451);
    expect(await audit(fileId)).toMatchObject({
      action: 'file.block',
      actorName: 'cli',
      actorId: null,
      reason: 'DMCA',
    });
    r = await runCli(['file', 'block', fileId, '--type', 'weird', ...dd()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/type: expected one of terrorism, gore/);
    r = await runCli(['file', 'unblock', fileId, '--reason', 'counter-notice', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(await audit(fileId)).toMatchObject({ action: 'file.unblock' });
    r = await runCli(['file', 'delete', fileId, ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(await audit(fileId)).toMatchObject({ action: 'file.delete' });
    r = await runCli(['file', 'info', fileId, ...dd()]);
    expect(r.code).toBe(2);
  });

  it('hash block and unblock', async () => {
    const hash = sha256('never again');
    let r = await runCli(['hash', 'block', hash, '--reason', 'known', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    const put = await fetch(`${s.url}/api/file/x.txt`, {
      method: 'PUT',
      body: 'never again',
      headers: { authorization: basic(key) },
    });
    expect(put.status).toBe(451);
    r = await runCli(['hash', 'unblock', hash, ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(await audit(hash)).toMatchObject({ action: 'hash.unblock', actorName: 'cli' });
  });

  it('user list, show, disable, enable, set-role, passwd (from stdin), delete', async () => {
    let r = await runCli(['user', 'list', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^carol\t-\tuser\tactive\t/m);
    r = await runCli(['user', 'show', 'carol', ...dd()]);
    expect(r.stdout).toMatch(/role\s+user/);
    r = await runCli(['user', 'disable', 'carol', '--reason', 'spam', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    const refused = await fetch(`${s.url}/api/user`, { headers: { authorization: basic(key) } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ value: 'account_banned' });
    r = await runCli(['user', 'enable', 'carol', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      (await fetch(`${s.url}/api/user`, { headers: { authorization: basic(key) } })).status,
    ).toBe(200);
    r = await runCli(['user', 'set-role', 'carol', 'admin', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect((await s.app.runtime.core.accounts.userByName('carol')).isAdmin).toBe(true);
    r = await runCli(['user', 'set-role', 'carol', 'king', ...dd()]);
    expect(r.code).toBe(2);
    r = await runCli(['user', 'passwd', 'carol', ...dd()], { input: 'a new secret 123\n' });
    expect(r.code, r.stderr).toBe(0);
    const login = await fetch(`${s.url}/api/user/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'carol', password: 'a new secret 123' }),
    });
    expect(login.status).toBe(201);
    const id = (await s.app.runtime.core.accounts.userByName('carol')).id;
    const { entries } = await s.app.runtime.core.audit.list({ targetId: id });
    expect(entries.map((e) => e.action).sort()).toEqual([
      'user.disable',
      'user.enable',
      'user.make_admin',
      'user.passwd',
    ]);
    r = await runCli(['user', 'delete', 'carol', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      (await fetch(`${s.url}/api/user`, { headers: { authorization: basic(key) } })).status,
    ).toBe(401);
  });

  it('report list and resolve; audit shows the newest entries', async () => {
    const owner = await createUserWithKey(s, 'dave');
    const put = await fetch(`${s.url}/api/file/r.txt`, {
      method: 'PUT',
      body: 'reported by cli test',
      headers: { authorization: basic(owner) },
    });
    const id = ((await put.json()) as { id: string }).id;
    await fetch(`${s.url}/api/file/${id}/report_abuse`, {
      method: 'POST',
      body: new URLSearchParams({ type: 'doxing', description: 'my address' }),
    });
    let r = await runCli(['report', 'list', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes(id))!;
    expect(line).toContain('doxing\topen');
    expect(line).toContain('my address');
    const reportId = line.split('\t')[0]!;
    r = await runCli(['report', 'resolve', reportId, 'block', '--reason', 'doxing', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('resolved');
    expect((await s.app.runtime.core.reports.get(reportId)).status).toBe('resolved');
    r = await runCli(['report', 'list', '--status', 'resolved', ...dd()]);
    expect(r.stdout).toContain(reportId);
    r = await runCli(['audit', '--limit', '2', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain('report.resolve');
    expect(rows[2]).toContain('file.block');
  });
});
