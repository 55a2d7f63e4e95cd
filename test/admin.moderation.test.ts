import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** The `mod` part of the admin API (/work/admin-api.md): reports, files, hashes, users, stats. */
let s: TestServer;
let adminKey: string;
let userKey: string;
let adminId: string;

const sha256 = (b: string) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  // Addresses from X-Forwarded-For: uploads and reports come "from" chosen addresses.
  s = await startServer({ trustProxy: true });
  adminKey = await createUserWithKey(s, 'root', { admin: true });
  userKey = await createUserWithKey(s, 'plain');
  adminId = (await s.app.runtime.core.accounts.userByName('root')).id;
});
afterAll(() => s.close());

const api = (
  method: 'GET' | 'POST',
  path: string,
  opts: { key?: string; form?: Record<string, string>; ip?: string } = {},
) =>
  fetch(s.url + '/api' + path, {
    method,
    headers: {
      ...(opts.key ? { authorization: basic(opts.key) } : {}),
      ...(opts.ip ? { 'x-forwarded-for': opts.ip } : {}),
    },
    ...(opts.form ? { body: new URLSearchParams(opts.form) } : {}),
  });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON replies of many shapes
const body = async (r: Response): Promise<any> => r.json();

const upload = async (name: string, content: string, key = userKey, ip = '192.0.2.1') => {
  const r = await fetch(`${s.url}/api/file/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: content,
    headers: { authorization: basic(key), 'x-forwarded-for': ip },
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
};

const lastAudit = async (targetId: string) =>
  (await s.app.runtime.core.audit.list({ targetId, limit: 1 })).entries[0];

describe('the admin API: access', () => {
  /** The `mod` routes of the contract; the test also covers any other /api/admin route. */
  const ROUTES = [
    'get /api/admin/stats',
    'get /api/admin/reports',
    'post /api/admin/reports/{id}/resolve',
    'get /api/admin/files',
    'get /api/admin/files/{id}',
    'post /api/admin/files/{id}/block',
    'post /api/admin/files/{id}/unblock',
    'post /api/admin/files/{id}/delete',
    'get /api/admin/hashes',
    'post /api/admin/hashes',
    'post /api/admin/hashes/{sha256}/delete',
    'get /api/admin/users',
    'get /api/admin/users/{id}',
    'post /api/admin/users/{id}',
    'post /api/admin/users/{id}/delete',
    'get /api/admin/audit',
  ];

  it('every /api/admin route (as documented): 401 without credentials, 403 for others', async () => {
    const doc = (await (await fetch(`${s.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/api/admin'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(routes).toEqual(expect.arrayContaining(ROUTES));
    for (const route of routes) {
      const [m, p] = route.split(' ') as [string, string];
      const method = m.toUpperCase() as 'GET' | 'POST';
      const path = p
        .replace(/^\/api/, '')
        .replace(/\{sha256\}/g, 'a'.repeat(64))
        .replace(/\{\w+\}/g, 'abcdefgh');
      const form = method === 'POST' ? { reason: 'x' } : undefined;
      const anon = await api(method, path, { ...(form ? { form } : {}) });
      expect(anon.status, route).toBe(401);
      const plain = await api(method, path, { key: userKey, ...(form ? { form } : {}) });
      expect(plain.status, route).toBe(403);
      expect(await body(plain)).toMatchObject({ success: false, value: 'forbidden' });
    }
  });
});

describe('the admin API: reports', () => {
  it('lists open reports with the file, resolves one by blocking the file (all its reports)', async () => {
    const id = await upload('reported.txt', 'reported content');
    for (const ip of ['198.51.100.1', '198.51.100.2'])
      expect(
        (
          await api('POST', `/file/${id}/report_abuse`, {
            form: { type: 'gore', description: 'd' },
            ip,
          })
        ).status,
      ).toBe(200);
    const list = await body(await api('GET', '/admin/reports', { key: adminKey }));
    const mine = list.reports.filter((r: { file_id: string }) => r.file_id === id);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({
      file_name: 'reported.txt',
      file_abuse_type: null,
      type: 'gore',
      description: 'd',
      status: 'open',
      resolved: null,
    });
    expect(mine[0].reporter_ip).toMatch(/^198\.51\.100\.[12]$/);
    expect(list.total).toBeGreaterThanOrEqual(2);

    const r = await api('POST', `/admin/reports/${mine[0].id}/resolve`, {
      key: adminKey,
      form: { action: 'block', reason: 'clearly gore' },
    });
    expect(r.status).toBe(200);
    const resolved = await body(r);
    expect(resolved).toMatchObject({
      success: true,
      report: { status: 'resolved', resolved_by: 'root', file_abuse_type: 'gore' },
    });
    const dl = await fetch(`${s.url}/api/file/${id}`);
    expect(dl.status).toBe(451);
    const open = await body(await api('GET', '/admin/reports?status=open', { key: adminKey }));
    expect(open.reports.filter((x: { file_id: string }) => x.file_id === id)).toHaveLength(0);
    const all = await body(await api('GET', '/admin/reports?status=resolved', { key: adminKey }));
    expect(all.reports.filter((x: { file_id: string }) => x.file_id === id)).toHaveLength(2);
    expect(await lastAudit(mine[0].id)).toMatchObject({
      action: 'report.resolve',
      actorName: 'root',
      actorId: adminId,
      reason: 'clearly gore',
      details: { action: 'block', file_id: id, reports_closed: 2 },
    });
    expect(await lastAudit(id)).toMatchObject({ action: 'file.block', details: { type: 'gore' } });
  });

  it('dismisses a report; a bad status or action is refused', async () => {
    const id = await upload('fine.txt', 'a fine file');
    await api('POST', `/file/${id}/report_abuse`, { form: { type: 'other' }, ip: '198.51.100.3' });
    const list = await body(await api('GET', '/admin/reports?status=all', { key: adminKey }));
    const rep = list.reports.find((x: { file_id: string }) => x.file_id === id);
    const bad = await api('POST', `/admin/reports/${rep.id}/resolve`, {
      key: adminKey,
      form: { action: 'explode' },
    });
    expect(bad.status).toBe(422);
    expect(await body(bad)).toMatchObject({
      value: 'enum_parse_failed',
      extra: { field: 'action' },
    });
    const r = await api('POST', `/admin/reports/${rep.id}/resolve`, {
      key: adminKey,
      form: { action: 'dismiss', reason: 'not abuse' },
    });
    expect(await body(r)).toMatchObject({
      report: { status: 'dismissed', resolution: 'dismissed' },
    });
    expect((await fetch(`${s.url}/api/file/${id}`)).status).toBe(200);
    expect((await api('GET', '/admin/reports?status=nope', { key: adminKey })).status).toBe(422);
    expect(
      (
        await api('POST', '/admin/reports/none/resolve', {
          key: adminKey,
          form: { action: 'dismiss' },
        })
      ).status,
    ).toBe(404);
  });
});

describe('the admin API: files', () => {
  let id: string;
  beforeAll(async () => {
    id = await upload('Holiday_100%.JPG', 'holiday pixels', userKey, '203.0.113.77');
  });

  it('finds files by id, name (escaped, case-insensitive), sha256, user and ip', async () => {
    const find = async (q: string, by?: string) => {
      const r = await api(
        'GET',
        `/admin/files?q=${encodeURIComponent(q)}${by ? `&by=${by}` : ''}`,
        { key: adminKey },
      );
      expect(r.status).toBe(200);
      return (await body(r)).files.map((f: { id: string }) => f.id) as string[];
    };
    expect(await find(id)).toEqual([id]);
    expect(await find('holiday_100%')).toContain(id);
    expect(await find('day_1')).toContain(id);
    // LIKE wildcards are literal: "_" and "%" match only themselves.
    expect(await find('holiday%100')).not.toContain(id);
    expect(await find('holiday_1000')).not.toContain(id);
    expect(await find(sha256('holiday pixels'))).toEqual([id]);
    expect(await find('plain', 'user')).toContain(id);
    expect(await find('root', 'user')).not.toContain(id);
    expect(await find('203.0.113.77')).toEqual([id]);
    expect((await api('GET', '/admin/files?q=x&by=color', { key: adminKey })).status).toBe(422);
  });

  it('shows a file with its owner, uploader address, reports, audit and 30 days of traffic', async () => {
    await fetch(`${s.url}/api/file/${id}`);
    const r = await api('GET', `/admin/files/${id}`, { key: adminKey });
    expect(r.status).toBe(200);
    const d = await body(r);
    expect(d.file).toMatchObject({
      id,
      name: 'Holiday_100%.JPG',
      size: 14,
      hash_sha256: sha256('holiday pixels'),
      owner: { username: 'plain' },
      uploader_ip: '203.0.113.77',
      abuse_type: null,
      scan: { status: null },
    });
    expect(d.reports).toEqual([]);
    expect(d.traffic.views.timestamps).toHaveLength(30);
    expect(d.traffic.downloads.amounts).toHaveLength(30);
    expect((await api('GET', '/admin/files/nOsuChId', { key: adminKey })).status).toBe(404);
  });

  it('blocks, unblocks and deletes, each in the audit log with its reason', async () => {
    const other = await upload('victim.bin', 'victim bytes');
    let r = await api('POST', `/admin/files/${other}/block`, {
      key: adminKey,
      form: { type: 'malware', reason: 'trojan' },
    });
    expect(await body(r)).toMatchObject({
      success: true,
      file: { abuse_type: 'malware', block_reason: 'trojan' },
    });
    expect((await fetch(`${s.url}/api/file/${other}`)).status).toBe(451);
    expect(await lastAudit(other)).toMatchObject({ action: 'file.block', reason: 'trojan' });
    r = await api('POST', `/admin/files/${other}/block`, {
      key: adminKey,
      form: { type: 'weird' },
    });
    expect(r.status).toBe(422);
    r = await api('POST', `/admin/files/${other}/unblock`, {
      key: adminKey,
      form: { reason: 'false alarm' },
    });
    expect(await body(r)).toMatchObject({ file: { abuse_type: null, blocked_at: null } });
    expect((await fetch(`${s.url}/api/file/${other}`)).status).toBe(200);
    expect(await lastAudit(other)).toMatchObject({ action: 'file.unblock', reason: 'false alarm' });
    r = await api('POST', `/admin/files/${other}/delete`, {
      key: adminKey,
      form: { reason: 'gone' },
    });
    expect(await body(r)).toEqual({ success: true });
    expect((await fetch(`${s.url}/api/file/${other}`)).status).toBe(404);
    expect(await lastAudit(other)).toMatchObject({
      action: 'file.delete',
      reason: 'gone',
      details: { name: 'victim.bin' },
    });
  });
});

describe('the admin API: blocked hashes', () => {
  it('blocks a hash (and its files), refuses uploads of those bytes, unblocks', async () => {
    const content = 'forbidden bytes';
    const id = await upload('first.txt', content);
    const hash = sha256(content);
    let r = await api('POST', '/admin/hashes', {
      key: adminKey,
      form: { sha256: hash.toUpperCase(), reason: 'known bad', block_files: 'true' },
    });
    expect(await body(r)).toEqual({ success: true });
    expect((await fetch(`${s.url}/api/file/${id}`)).status).toBe(451);
    const list = await body(await api('GET', '/admin/hashes', { key: adminKey }));
    expect(list.hashes).toContainEqual(
      expect.objectContaining({ sha256: hash, reason: 'known bad', created_by: 'root' }),
    );
    const again = await fetch(`${s.url}/api/file/again.txt`, {
      method: 'PUT',
      body: content,
      headers: { authorization: basic(userKey) },
    });
    expect(again.status).toBe(451);
    expect(await body(again)).toMatchObject({ value: 'unavailable_for_legal_reasons' });
    expect(await lastAudit(hash)).toMatchObject({
      action: 'hash.block',
      details: { block_files: true, files_blocked: 1 },
    });
    r = await api('POST', '/admin/hashes', { key: adminKey, form: { sha256: 'nothex' } });
    expect(r.status).toBe(422);
    r = await api('POST', `/admin/hashes/${hash}/delete`, {
      key: adminKey,
      form: { reason: 'ok now' },
    });
    expect(r.status).toBe(200);
    expect(await lastAudit(hash)).toMatchObject({ action: 'hash.unblock', reason: 'ok now' });
    expect((await upload('third.txt', content)).length).toBe(8);
    r = await api('POST', `/admin/hashes/${hash}/delete`, { key: adminKey });
    expect(r.status).toBe(404);
  });
});

describe('the admin API: users and stats', () => {
  it('searches users with usage; shows one with its files and audit', async () => {
    const r = await body(await api('GET', '/admin/users?q=PLA', { key: adminKey }));
    expect(r.total).toBe(1);
    const u = r.users[0];
    expect(u).toMatchObject({ username: 'plain', is_admin: false, disabled: false });
    expect(u.file_count).toBeGreaterThan(0);
    expect(u.storage_used).toBeGreaterThan(0);
    expect(u.limits).toEqual({ storage_quota: null, daily_upload_quota: null, max_files: null });
    const d = await body(await api('GET', `/admin/users/${u.id}`, { key: adminKey }));
    expect(d.user.username).toBe('plain');
    expect(d.files.length).toBe(u.file_count);
    expect((await api('GET', '/admin/users/nobody', { key: adminKey })).status).toBe(404);
  });

  it('disables an account (its key gets 403 account_banned), enables it, sets flags', async () => {
    const key = await createUserWithKey(s, 'victim');
    const id = (await s.app.runtime.core.accounts.userByName('victim')).id;
    const fileId = await upload('mine.txt', 'victim file', key);
    let r = await api('POST', `/admin/users/${id}`, {
      key: adminKey,
      form: { disabled: 'true', hotlink_exempt: 'true', reason: 'spam' },
    });
    expect(await body(r)).toMatchObject({ user: { disabled: true, hotlink_exempt: true } });
    const refused = await fetch(`${s.url}/api/file/x.txt`, {
      method: 'PUT',
      body: 'x',
      headers: { authorization: basic(key) },
    });
    expect(refused.status).toBe(403);
    expect(await body(refused)).toMatchObject({ value: 'account_banned' });
    expect((await api('GET', '/user', { key })).status).toBe(403);
    // The files stay downloadable (a takedown is a file block).
    expect((await fetch(`${s.url}/api/file/${fileId}`)).status).toBe(200);
    const { entries } = await s.app.runtime.core.audit.list({ targetId: id });
    expect(entries.map((e) => e.action).sort()).toEqual(['user.disable', 'user.hotlink_exempt']);
    r = await api('POST', `/admin/users/${id}`, {
      key: adminKey,
      form: { disabled: 'false', is_admin: 'true' },
    });
    expect(await body(r)).toMatchObject({ user: { disabled: false, is_admin: true } });
    expect((await api('GET', '/admin/stats', { key })).status).toBe(200);
    r = await api('POST', `/admin/users/${id}`, { key: adminKey, form: { disabled: 'maybe' } });
    expect(r.status).toBe(422);
  });

  it('an admin cannot disable, demote or delete themselves', async () => {
    for (const form of [{ disabled: 'true' }, { is_admin: 'false' }] as Record<string, string>[]) {
      const r = await api('POST', `/admin/users/${adminId}`, { key: adminKey, form });
      expect(r.status).toBe(400);
      expect(await body(r)).toMatchObject({ value: 'cannot_modify_self' });
    }
    const r = await api('POST', `/admin/users/${adminId}/delete`, { key: adminKey });
    expect(await body(r)).toMatchObject({ value: 'cannot_modify_self' });
  });

  it('deletes an account and its files', async () => {
    const key = await createUserWithKey(s, 'leaver');
    const id = (await s.app.runtime.core.accounts.userByName('leaver')).id;
    const fileId = await upload('bye.txt', 'leaving', key);
    const r = await api('POST', `/admin/users/${id}/delete`, {
      key: adminKey,
      form: { reason: 'asked' },
    });
    expect(await body(r)).toEqual({ success: true });
    expect((await fetch(`${s.url}/api/file/${fileId}`)).status).toBe(404);
    expect((await api('GET', '/user', { key })).status).toBe(401);
    expect(await lastAudit(id)).toMatchObject({
      action: 'user.delete',
      details: { username: 'leaver' },
    });
  });

  it('stats: the instance totals', async () => {
    const st = await body(await api('GET', '/admin/stats', { key: adminKey }));
    const { files } = await s.app.runtime.core.adminSearch.files('', undefined, { limit: 500 });
    expect(st.files).toBe(files.length);
    expect(st.file_bytes).toBe(files.reduce((n, f) => n + f.file.size, 0));
    expect(st.users).toBeGreaterThanOrEqual(3);
    expect(st.files_blocked).toBe(files.filter((f) => f.file.abuseType).length);
    expect(st.hashes_blocked).toBe(0);
    expect(st.reports_open).toBe(0);
    expect(st.blobs).toBeGreaterThan(0);
    expect(st.scans.pending).toBe(st.blobs);
  });
});
