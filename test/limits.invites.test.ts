import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/**
 * Registration modes (open / closed / invite), invites from the admin API, and the admin API's
 * limits endpoints (issue 15).
 */

const PASSWORD = 'correct horse battery';

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

async function call(
  s: TestServer,
  path: string,
  init: RequestInit = {},
  key?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers = { ...(init.headers as Record<string, string>) };
  if (key) headers.authorization = basic(key);
  const r = await fetch(s.url + path, { ...init, headers });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('STOWAGE_REGISTRATION=invite', () => {
  let s: TestServer;
  let admin: string;
  let plain: string;

  beforeAll(async () => {
    s = await startServer({ registration: 'invite', publicUrl: 'https://files.example.org' });
    admin = await createUserWithKey(s, 'root', { admin: true });
    plain = await createUserWithKey(s, 'plain');
  });
  afterAll(() => s?.close());

  const register = (fields: Record<string, string>) =>
    call(s, '/api/user/register', form({ password: PASSWORD, ...fields }));

  it('refuses a registration without a valid invite: invite_invalid (400)', async () => {
    for (const invite of [undefined, '', 'nosuchcode0123456789']) {
      const r = await register({ username: 'nobody', ...(invite !== undefined ? { invite } : {}) });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ success: false, value: 'invite_invalid' });
    }
  });

  it('an admin creates an invite; it registers one account, once', async () => {
    const made = await call(
      s,
      '/api/admin/invites',
      form({ days: '3', reason: 'for a friend' }),
      admin,
    );
    expect(made.status).toBe(200);
    const code = String(made.json.code);
    expect(code).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(made.json.url).toBe(`https://files.example.org/register?invite=${code}`);
    const expires = Date.parse(String(made.json.expires));
    expect(expires - Date.now()).toBeGreaterThan(3 * 86_400_000 - 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(3 * 86_400_000);

    // A registration that fails for another reason gives the invite back.
    const taken = await register({ username: 'plain', invite: code });
    expect(taken.json.value).toBe('username_already_registered');
    expect((await register({ username: 'newbie', invite: code })).status).toBe(201);
    const again = await register({ username: 'newbie2', invite: code });
    expect(again.json.value).toBe('invite_invalid');

    const list = await call(s, '/api/admin/invites', {}, admin);
    expect(list.status).toBe(200);
    const invites = list.json.invites as Record<string, unknown>[];
    expect(list.json.total).toBe(1);
    expect(invites[0]).toMatchObject({ used_by: 'newbie', expires: made.json.expires });
    expect(String(invites[0]!.id)).toMatch(/^[0-9a-f]{8}$/);
    expect(String(invites[0]!.used)).toMatch(/^\d{4}-/);
    // The code is nowhere in the list.
    expect(JSON.stringify(list.json)).not.toContain(code);

    const audit = await call(s, '/api/admin/audit?target_type=invite', {}, admin);
    const entries = audit.json.entries as Record<string, unknown>[];
    expect(entries[0]).toMatchObject({
      action: 'invite.create',
      actor_name: 'root',
      target_id: invites[0]!.id,
      reason: 'for a friend',
    });
  });

  it('an expired invite is refused', async () => {
    const { code } = await s.app.runtime.core.limits.invites.create(
      { userId: null, name: 'cli' },
      1,
    );
    await s.app.runtime.db
      .updateTable('invites')
      .set({ expires_at: Date.now() - 1 })
      .where('used_at', 'is', null)
      .execute();
    expect((await register({ username: 'late', invite: code })).json.value).toBe('invite_invalid');
  });

  it('rejects bad invite validity', async () => {
    for (const days of ['0', '366', 'x']) {
      const r = await call(s, '/api/admin/invites', form({ days }), admin);
      expect(r.status).toBe(422);
      expect(r.json.value).toBe('integer_out_of_range');
    }
  });

  it('the registration page asks for the code, filled in from the link', async () => {
    const page = await (await fetch(`${s.url}/register?invite=abcDEF123`)).text();
    expect(page).toContain('Invite code');
    expect(page).toContain('value="abcDEF123"');
  });

  it('invites and limits are for admins only (401 / 403)', async () => {
    for (const [path, init] of [
      ['/api/admin/invites', {}],
      ['/api/admin/invites', form({ days: '1' })],
      ['/api/admin/limits', {}],
      ['/api/admin/users/x/limits', form({ max_files: '1' })],
    ] as const) {
      expect((await call(s, path, init)).status).toBe(401);
      const r = await call(s, path, init, plain);
      expect(r.status).toBe(403);
      expect(r.json.value).toBe('forbidden');
    }
  });
});

describe('STOWAGE_REGISTRATION=closed and open', () => {
  it('closed: registration_closed (403 forbidden), even with an invite', async () => {
    const s = await startServer({ registration: 'closed' });
    try {
      const { code } = await s.app.runtime.core.limits.invites.create(
        { userId: null, name: 'cli' },
        1,
      );
      const r = await call(
        s,
        '/api/user/register',
        form({ username: 'someone', password: PASSWORD, invite: code }),
      );
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({
        value: 'forbidden',
        message: expect.stringMatching(/closed/),
      });
    } finally {
      await s.close();
    }
  });

  it('open: no invite needed, one given is ignored', async () => {
    const s = await startServer({ registration: 'open' });
    try {
      const r = await call(
        s,
        '/api/user/register',
        form({ username: 'someone', password: PASSWORD, invite: 'whatever' }),
      );
      expect(r.status).toBe(201);
      const page = await (await fetch(`${s.url}/register`)).text();
      expect(page).not.toContain('Invite code');
    } finally {
      await s.close();
    }
  });
});

describe('/api/admin/limits and /api/admin/users/{id}/limits', () => {
  let s: TestServer;
  let admin: string;
  let userId: string;

  beforeAll(async () => {
    s = await startServer({ userStorageQuota: '5GB', userMaxFiles: '0', fileExpiryDays: '30' });
    admin = await createUserWithKey(s, 'root', { admin: true });
    await createUserWithKey(s, 'alice');
    userId = (await s.app.runtime.core.accounts.userByName('alice')).id;
  });
  afterAll(() => s?.close());

  it('shows the instance defaults (-1 = unlimited)', async () => {
    const r = await call(s, '/api/admin/limits', {}, admin);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      registration: 'open',
      anonymous_uploads: true,
      storage_quota: 5_000_000_000,
      daily_upload_quota: 10_000_000_000,
      max_files: -1,
      anonymous_daily_uploads_per_ip: -1,
      anonymous_daily_upload_bytes_per_ip: -1,
      max_file_size: s.app.runtime.config.maxFileSize,
      file_expiry_days: 30,
    });
  });

  it('sets an account’s limits (only the fields sent), audit-logged', async () => {
    const set = (fields: Record<string, string>) =>
      call(s, `/api/admin/users/${userId}/limits`, form(fields), admin);
    const r = await set({
      storage_quota: '1000',
      max_files: '-1',
      expiry_exempt: 'true',
      reason: 'vip',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      success: true,
      user: {
        id: userId,
        username: 'alice',
        limits: { storage_quota: 1000, daily_upload_quota: null, max_files: -1 },
        expiry_exempt: true,
      },
    });
    const back = await set({ storage_quota: '', daily_upload_quota: '7' });
    expect(back.json.user).toMatchObject({
      limits: { storage_quota: null, daily_upload_quota: 7, max_files: -1 },
      expiry_exempt: true,
    });
    const audit = await call(s, `/api/admin/audit?target_id=${userId}`, {}, admin);
    const first = (audit.json.entries as Record<string, unknown>[]).at(-1)!;
    expect(first).toMatchObject({ action: 'user.limits', actor_name: 'root', reason: 'vip' });
    expect(first.details).toMatchObject({
      before: { storage_quota: null, expiry_exempt: false },
      after: { storage_quota: 1000, max_files: -1, expiry_exempt: true },
    });
  });

  it('refuses values that are not integers, and unknown users', async () => {
    const bad = await call(
      s,
      `/api/admin/users/${userId}/limits`,
      form({ max_files: '1.5' }),
      admin,
    );
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({
      value: 'integer_parse_failed',
      extra: { field: 'max_files' },
    });
    const flag = await call(
      s,
      `/api/admin/users/${userId}/limits`,
      form({ expiry_exempt: 'maybe' }),
      admin,
    );
    expect(flag.status).toBe(422);
    const none = await call(s, '/api/admin/users/nobody/limits', form({ max_files: '1' }), admin);
    expect(none.status).toBe(404);
    expect(none.json.value).toBe('user_not_found');
  });
});
