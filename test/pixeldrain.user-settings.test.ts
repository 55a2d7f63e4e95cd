// PUT /api/user's settings (issue 19): skip_file_viewer and embed_domains stored and reported by
// GET /api/user, what they do to the viewer pages (the redirect, CSP frame-ancestors), and the
// pixeldrain settings this server has no feature for refused, never a silent ok.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

type Json = Record<string, unknown>;

let s: TestServer;
let owner: string;
let other: string;
beforeAll(async () => {
  s = await startServer();
  owner = await createUserWithKey(s, 'embedder');
  other = await createUserWithKey(s, 'bystander');
});
afterAll(async () => {
  await s?.close();
});

const auth = (key: string) => ({ Authorization: basic(key) });

function putUser(key: string, fields: Record<string, string>) {
  return fetch(`${s.url}/api/user`, {
    method: 'PUT',
    body: new URLSearchParams(fields),
    headers: auth(key),
  });
}

async function settingsOf(key: string) {
  const r = await fetch(`${s.url}/api/user`, { headers: auth(key) });
  expect(r.status).toBe(200);
  const u = (await r.json()) as Json;
  return { skip_file_viewer: u.skip_file_viewer, file_embed_domains: u.file_embed_domains };
}

async function upload(key: string | null, name: string) {
  const r = await fetch(`${s.url}/api/file/${name}`, {
    method: 'PUT',
    body: `bytes of ${name}`,
    headers: key ? auth(key) : {},
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

async function expectError(r: Response, status: number, value: string): Promise<Json> {
  const body = (await r.json()) as Json;
  expect(r.status, JSON.stringify(body)).toBe(status);
  expect(body).toMatchObject({ success: false, value, message: expect.any(String) });
  return body;
}

/** The frame-ancestors directive of a page's CSP. */
function frameAncestors(r: Response): string | undefined {
  const csp = r.headers.get('content-security-policy') ?? '';
  return csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith('frame-ancestors'));
}

describe('PUT /api/user: skip_file_viewer and embed_domains', () => {
  it('are false and empty at first, then stored and reported by GET /api/user', async () => {
    expect(await settingsOf(owner)).toEqual({ skip_file_viewer: false, file_embed_domains: '' });
    const r = await putUser(owner, {
      skip_file_viewer: 'true',
      embed_domains: 'Blog.Example.com  *.cdn.example.org',
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ success: true, value: 'ok' });
    expect(await settingsOf(owner)).toEqual({
      skip_file_viewer: true,
      file_embed_domains: 'blog.example.com *.cdn.example.org',
    });
    // Only the fields sent change; another account's settings stay as they were.
    expect((await putUser(owner, { skip_file_viewer: 'false' })).status).toBe(200);
    expect(await settingsOf(owner)).toEqual({
      skip_file_viewer: false,
      file_embed_domains: 'blog.example.com *.cdn.example.org',
    });
    expect(await settingsOf(other)).toEqual({ skip_file_viewer: false, file_embed_domains: '' });
    // Empty removes every domain.
    expect((await putUser(owner, { embed_domains: '' })).status).toBe(200);
    expect((await settingsOf(owner)).file_embed_domains).toBe('');
  });

  it.each([
    'a.com; script-src *',
    'a.com\r\nX-Injected: y',
    "'unsafe-inline'",
    "a.com 'self'",
    'https://a.com',
    'a.com/frame',
    'a.com:8443',
    '*',
    'localhost',
    'a.com "b.com"',
    'a.com\tb.com; c',
  ])('refuses %j with invalid_domain_name, changing nothing', async (domains) => {
    expect((await putUser(owner, { embed_domains: 'kept.example.com' })).status).toBe(200);
    const r = await putUser(owner, { embed_domains: domains, skip_file_viewer: 'true' });
    await expectError(r, 400, 'invalid_domain_name');
    expect(await settingsOf(owner)).toEqual({
      skip_file_viewer: false,
      file_embed_domains: 'kept.example.com',
    });
  });

  it('refuses more than 32 domains', async () => {
    const many = Array.from({ length: 33 }, (_, i) => `d${i}.example.com`).join(' ');
    await expectError(await putUser(owner, { embed_domains: many }), 400, 'invalid_domain_name');
  });

  it('a flag that is not true or false: bool_parse_failed in multiple_errors', async () => {
    const body = await expectError(
      await putUser(owner, { skip_file_viewer: 'maybe' }),
      400,
      'multiple_errors',
    );
    expect(body.errors).toEqual([
      expect.objectContaining({ value: 'bool_parse_failed', extra: { field: 'skip_file_viewer' } }),
    ]);
  });
});

describe('PUT /api/user: pixeldrain settings this server does not have', () => {
  it('subscription: not_enough_credit_for_prepaid', async () => {
    await expectError(
      await putUser(owner, { subscription: 'prepaid' }),
      400,
      'not_enough_credit_for_prepaid',
    );
  });

  it('transfer_cap: only 0 (no cap, as GET /api/user reports) is taken', async () => {
    expect((await putUser(owner, { transfer_cap: '0' })).status).toBe(200);
    const out = await expectError(
      await putUser(owner, { transfer_cap: '1000000000' }),
      400,
      'multiple_errors',
    );
    expect(out.errors).toEqual([
      expect.objectContaining({
        value: 'integer_out_of_range',
        extra: { field: 'transfer_cap', min_val: 0, max_val: 0 },
      }),
    ]);
    const nan = await expectError(
      await putUser(owner, { transfer_cap: 'lots' }),
      400,
      'multiple_errors',
    );
    expect(nan.errors).toEqual([expect.objectContaining({ value: 'integer_parse_failed' })]);
  });

  it('affiliate_user_name and checkout_*: only empty is taken', async () => {
    expect(
      (
        await putUser(owner, {
          affiliate_user_name: '',
          checkout_country: '',
          checkout_name: '',
          checkout_provider: '',
        })
      ).status,
    ).toBe(200);
    const out = await expectError(
      await putUser(owner, { affiliate_user_name: 'friend', checkout_country: 'NLD' }),
      400,
      'multiple_errors',
    );
    expect((out.errors as Json[]).map((e) => [e.value, (e.extra as Json).field])).toEqual([
      ['string_out_of_range', 'affiliate_user_name'],
      ['string_out_of_range', 'checkout_country'],
    ]);
  });

  it('pixeldrain UI’s sharing form (hotlinking, transfer_cap 0, skip_file_viewer) saves', async () => {
    const r = await putUser(other, {
      hotlinking_enabled: 'true',
      transfer_cap: '0',
      skip_file_viewer: 'false',
    });
    expect(r.status).toBe(200);
    // A refused field anywhere in the form: nothing of it is applied.
    await expectError(
      await putUser(other, {
        hotlinking_enabled: 'false',
        embed_domains: 'x.example.com',
        transfer_cap: '5',
      }),
      400,
      'multiple_errors',
    );
    const u = (await (await fetch(`${s.url}/api/user`, { headers: auth(other) })).json()) as Json;
    expect(u).toMatchObject({ hotlinking_enabled: true, file_embed_domains: '' });
  });

  it('a field pixeldrain does not know is ignored, as before', async () => {
    expect((await putUser(other, { some_future_field: 'x' })).status).toBe(200);
  });
});

describe('the viewer pages and the owner’s settings', () => {
  it('skip_file_viewer: /u/{id} of the owner’s file is 303 to /api/file/{id}, which serves it', async () => {
    const mine = await upload(owner, 'skip.txt');
    const theirs = await upload(other, 'stay.txt');
    expect((await putUser(owner, { skip_file_viewer: 'true' })).status).toBe(200);
    const r = await fetch(`${s.url}/u/${mine}`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/api/file/${mine}`);
    const file = await fetch(new URL(r.headers.get('location')!, s.url));
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('bytes of skip.txt');
    // Someone else's file, and several ids at once: the viewer.
    expect((await fetch(`${s.url}/u/${theirs}`, { redirect: 'manual' })).status).toBe(200);
    expect((await fetch(`${s.url}/u/${mine},${theirs}`, { redirect: 'manual' })).status).toBe(200);
    expect((await putUser(owner, { skip_file_viewer: 'false' })).status).toBe(200);
    expect((await fetch(`${s.url}/u/${mine}`, { redirect: 'manual' })).status).toBe(200);
  });

  it('embed_domains: frame-ancestors of the owner’s files and lists; everyone else’s stay self-only', async () => {
    const mine = await upload(owner, 'framed.txt');
    const theirs = await upload(other, 'unframed.txt');
    const anonymous = await upload(null, 'anon.txt');
    expect(
      (await putUser(owner, { embed_domains: 'blog.example.com *.cdn.example.org' })).status,
    ).toBe(200);
    const page = await fetch(`${s.url}/u/${mine}`);
    expect(page.status).toBe(200);
    expect(frameAncestors(page)).toBe("frame-ancestors 'self' blog.example.com *.cdn.example.org");
    expect(page.headers.get('x-frame-options')).toBeNull();
    for (const id of [theirs, anonymous, `${mine},${theirs}`]) {
      const r = await fetch(`${s.url}/u/${id}`);
      expect(r.status).toBe(200);
      expect(frameAncestors(r)).toBe("frame-ancestors 'self'");
    }
    const list = await fetch(`${s.url}/api/list`, {
      method: 'POST',
      body: JSON.stringify({ title: 'framed', files: [{ id: mine }] }),
      headers: auth(owner),
    });
    expect(list.status).toBe(201);
    const listId = ((await list.json()) as { id: string }).id;
    expect(frameAncestors(await fetch(`${s.url}/l/${listId}`))).toBe(
      "frame-ancestors 'self' blog.example.com *.cdn.example.org",
    );
    // Removed: self-only again.
    expect((await putUser(owner, { embed_domains: '' })).status).toBe(200);
    expect(frameAncestors(await fetch(`${s.url}/u/${mine}`))).toBe("frame-ancestors 'self'");
  });

  it('a stored value that is not a host name never reaches the header', async () => {
    const mine = await upload(owner, 'tampered.txt');
    const { db } = s.app.runtime;
    const user = await s.app.runtime.core.accounts.userByName('embedder');
    await db
      .updateTable('users')
      .set({ embed_domains: "ok.example.com a.com;script-src * 'unsafe-inline'" })
      .where('id', '=', user.id)
      .execute();
    const r = await fetch(`${s.url}/u/${mine}`);
    expect(frameAncestors(r)).toBe("frame-ancestors 'self' ok.example.com");
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/script-src \*/);
    expect((await putUser(owner, { embed_domains: '' })).status).toBe(200);
  });
});
