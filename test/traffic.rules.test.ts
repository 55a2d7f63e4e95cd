import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';
import { request, solvedPayload } from './rules-helpers.js';

describe('the hotlink rule and the captcha', () => {
  let s: TestServer;
  let ownerKey: string;
  let n = 0;
  /** A fresh client address for each call. */
  const client = () => `127.0.0.${10 + (n++ % 200)}`;

  beforeAll(async () => {
    s = await startServer({ hotlinkFactor: 3, hotlinkMinDownloads: 10, captchaDifficulty: 2000 });
    ownerKey = await createUserWithKey(s, 'owner');
  });
  afterAll(async () => {
    await s?.close();
  });

  const upload = async (name: string, body = randomBytes(1000), key = ownerKey) => {
    const r = await fetch(`${s.url}/api/file/${name}`, {
      method: 'PUT',
      body: new Uint8Array(body),
      headers: { Authorization: basic(key) },
    });
    expect(r.status).toBe(201);
    return ((await r.json()) as { id: string }).id;
  };
  /** `count` downloads, each from another address, then the counters written. */
  const downloadFromMany = async (id: string, count: number) => {
    for (let i = 0; i < count; i++) {
      expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(200);
    }
    await s.app.runtime.core.traffic.flush();
  };
  const info = async (id: string, headers: Record<string, string> = {}) =>
    (await request(`${s.url}/api/file/${id}/info`, { headers })).json();

  it('downloads from many addresses tip a file into 403 file_rate_limited_captcha_required', async () => {
    const id = await upload('tipped.bin');
    await downloadFromMany(id, 9);
    // 9 downloads, no views: under the minimum of 10.
    expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(200);
    await s.app.runtime.core.traffic.flush();
    const refused = await request(`${s.url}/api/file/${id}`, { from: client() });
    expect(refused.status).toBe(403);
    expect(refused.json()).toEqual({
      success: false,
      value: 'file_rate_limited_captcha_required',
      message:
        'This file is using too much bandwidth. For anonymous downloads a captcha is required now. The captcha entry is available on the download page',
    });
    const head = await request(`${s.url}/api/file/${id}`, { method: 'HEAD', from: client() });
    expect(head.status).toBe(403);
    const i = await info(id);
    expect(i.downloads).toBe(10);
    expect(i.availability).toBe('file_rate_limited_captcha_required');
    expect(i.availability_message).toMatch(/captcha is required/);
    // The owner sees no restriction in their own info.
    expect((await info(id, { Authorization: basic(ownerKey) })).availability).toBe('');

    // A zip of several ids with it, and a list zip containing it, are refused too.
    const other = await upload('other.bin');
    const zip = await request(`${s.url}/api/file/${other},${id}?download`, { from: client() });
    expect(zip.status).toBe(403);
    expect(zip.json().value).toBe('file_rate_limited_captcha_required');
    const list = await fetch(`${s.url}/api/list`, {
      method: 'POST',
      body: JSON.stringify({ title: 'l', files: [{ id: other }, { id }] }),
      headers: { Authorization: basic(ownerKey) },
    });
    expect(list.status).toBe(201);
    const listId = ((await list.json()) as { id: string }).id;
    // The list's FileInfo says which of its files are restricted (gallery-dl, JDownloader read it).
    const listed = (await request(`${s.url}/api/list/${listId}`)).json() as {
      files: { id: string; availability: string }[];
    };
    expect(listed.files.map((f) => f.availability)).toEqual([
      '',
      'file_rate_limited_captcha_required',
    ]);
    const listZip = await request(`${s.url}/api/list/${listId}/zip`, { from: client() });
    expect(listZip.status).toBe(403);
    expect(listZip.json().value).toBe('file_rate_limited_captcha_required');
    // A zip without it is fine.
    expect((await request(`${s.url}/api/file/${other},${other}`, { from: client() })).status).toBe(
      200,
    );
  });

  it('the owner and an account marked hotlink-exempt still download (as paid bandwidth)', async () => {
    const id = await upload('exempt.bin', randomBytes(500));
    await downloadFromMany(id, 10);
    expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(403);
    const before = await info(id);
    expect(before.bandwidth_used_paid).toBe(0);

    const owner = await request(`${s.url}/api/file/${id}`, {
      from: client(),
      headers: { Authorization: basic(ownerKey) },
    });
    expect(owner.status).toBe(200);
    expect(owner.body.length).toBe(500);

    const as = async (name: string) => {
      const k = await createUserWithKey(s, name);
      return () =>
        request(`${s.url}/api/file/${id}`, {
          from: client(),
          headers: { Authorization: basic(k) },
        });
    };
    // Another account is no one special.
    const stranger = await as('stranger');
    expect((await stranger()).status).toBe(403);
    const fan = await as('fan');
    await s.app.runtime.core.accounts.setHotlinkExempt('fan', true);
    expect((await fan()).status).toBe(200);
    await s.app.runtime.core.traffic.flush();
    expect((await info(id)).bandwidth_used_paid).toBe(1000);
  });

  it('the uploader enabling hotlinking (PUT /api/user) lifts the rule for their files', async () => {
    const linkerKey = await createUserWithKey(s, 'linker');
    const id = await upload('hotlinked.bin', randomBytes(100), linkerKey);
    await downloadFromMany(id, 10);
    expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(403);
    const put = (v: string) =>
      request(`${s.url}/api/user`, {
        method: 'PUT',
        headers: {
          Authorization: basic(linkerKey),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: `hotlinking_enabled=${v}`,
      });
    expect((await put('true')).status).toBe(200);
    const user = (
      await request(`${s.url}/api/user`, { headers: { Authorization: basic(linkerKey) } })
    ).json();
    expect(user.hotlinking_enabled).toBe(true);
    // The node that took the change drops its cached flags at once (other nodes within 10 s).
    expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(200);
    expect((await info(id)).availability).toBe('');
    expect((await put('false')).status).toBe(200);
    expect((await put('maybe')).status).toBe(400);
    expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(403);
  });

  it('views lift it', async () => {
    const id = await upload('viewed.bin');
    await downloadFromMany(id, 10);
    expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(403);
    // 10 downloads: 4 views make 3 × 4 = 12 >= 10.
    for (let i = 0; i < 4; i++) s.app.runtime.core.traffic.view(id, `198.51.100.${i}`);
    await s.app.runtime.core.traffic.flush();
    expect((await request(`${s.url}/api/file/${id}`, { from: client() })).status).toBe(200);
    expect((await info(id)).availability).toBe('');
  });

  it('a solved captcha passes (and its ranges), once: a replay elsewhere is 424', async () => {
    expect((await request(`${s.url}/api/misc/recaptcha`)).json()).toEqual({ site_key: 'altcha' });
    const id = await upload('captcha.bin', randomBytes(2000));
    await downloadFromMany(id, 10);
    const me = client();
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(403);

    const payload = await solvedPayload(s.url);
    const q = `?download&recaptcha_response=${encodeURIComponent(payload)}`;
    const ok = await request(`${s.url}/api/file/${id}${q}`, { from: me });
    expect(ok.status).toBe(200);
    expect(ok.body.length).toBe(2000);
    // The browser's further range requests repeat the URL: the grant lets them pass.
    const range = await request(`${s.url}/api/file/${id}${q}`, {
      from: me,
      headers: { Range: 'bytes=1000-' },
    });
    expect(range.status).toBe(206);
    expect(range.body.length).toBe(1000);
    // So does a plain request of that client, for that file only.
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);

    // The same payload from another client: a replay.
    const replay = await request(`${s.url}/api/file/${id}${q}`, { from: client() });
    expect(replay.status).toBe(424);
    expect(replay.json()).toMatchObject({ success: false, value: 'recpatcha_failed' });
    // Garbage and tampered payloads too.
    const garbage = await request(`${s.url}/api/file/${id}?recaptcha_response=bm9wZQ`, {
      from: client(),
    });
    expect(garbage.status).toBe(424);
    const fresh = JSON.parse(Buffer.from(await solvedPayload(s.url), 'base64').toString()) as {
      solution: { counter: number; derivedKey: string };
    };
    fresh.solution.derivedKey = 'ab'.repeat(32);
    const tampered = Buffer.from(JSON.stringify(fresh)).toString('base64');
    expect(
      (
        await request(
          `${s.url}/api/file/${id}?recaptcha_response=${encodeURIComponent(tampered)}`,
          {
            from: client(),
          },
        )
      ).status,
    ).toBe(424);
  });
});

describe('the captcha off', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ captcha: false, hotlinkMinDownloads: 2 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('recaptcha has an empty site key; the rule refuses with hotlink_detected', async () => {
    expect((await request(`${s.url}/api/misc/recaptcha`)).json()).toEqual({ site_key: '' });
    expect((await request(`${s.url}/api/misc/captcha/challenge`)).status).toBe(404);
    const r = await fetch(`${s.url}/api/file/x.bin`, { method: 'PUT', body: 'abc' });
    const id = ((await r.json()) as { id: string }).id;
    for (const from of ['127.0.0.2', '127.0.0.3'])
      expect((await request(`${s.url}/api/file/${id}`, { from })).status).toBe(200);
    await s.app.runtime.core.traffic.flush();
    const refused = await request(`${s.url}/api/file/${id}`, { from: '127.0.0.4' });
    expect(refused.status).toBe(403);
    expect(refused.json().value).toBe('hotlink_detected');
  });
});

describe('per-IP limits', () => {
  let clock = Date.now();
  const now = () => clock;
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });
  const start = async (overrides: Parameters<typeof startServer>[0]) => {
    const s = await startServer({ captchaDifficulty: 2000, ...overrides }, undefined, { now });
    servers.push(s);
    return s;
  };
  const put = async (s: TestServer, body: Buffer) => {
    const r = await fetch(`${s.url}/api/file/f.bin`, { method: 'PUT', body: new Uint8Array(body) });
    return ((await r.json()) as { id: string }).id;
  };
  const limits = async (s: TestServer, from: string) =>
    (await request(`${s.url}/api/misc/rate_limits`, { from })).json();

  it('downloads per IP per day trip into ip_download_limited_captcha_required and reset the next day', async () => {
    const s = await start({ ipDownloadLimit: 3 });
    const id = await put(s, randomBytes(100));
    const me = '127.0.0.77';
    expect(await limits(s, me)).toEqual({
      server_overload: false,
      speed_limit: 0,
      download_limit: 3,
      download_limit_used: 0,
      transfer_limit: 0,
      transfer_limit_used: 0,
    });
    for (let i = 0; i < 3; i++)
      expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);
    const refused = await request(`${s.url}/api/file/${id}`, { from: me });
    expect(refused.status).toBe(403);
    expect(refused.json().value).toBe('ip_download_limited_captcha_required');
    expect((await request(`${s.url}/api/file/${id}/info`, { from: me })).json().availability).toBe(
      'ip_download_limited_captcha_required',
    );
    expect(await limits(s, me)).toMatchObject({ download_limit: 3, download_limit_used: 3 });
    // Another address is not affected.
    expect((await request(`${s.url}/api/file/${id}`, { from: '127.0.0.78' })).status).toBe(200);

    // A solved captcha gives a further allowance.
    const payload = encodeURIComponent(await solvedPayload(s.url));
    expect(
      (await request(`${s.url}/api/file/${id}?recaptcha_response=${payload}`, { from: me })).status,
    ).toBe(200);
    expect(await limits(s, me)).toMatchObject({ download_limit: 6, download_limit_used: 4 });
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);

    // The next day the count starts again.
    clock += 24 * 3600 * 1000;
    expect(await limits(s, me)).toMatchObject({ download_limit: 3, download_limit_used: 0 });
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);
  });

  it('bytes per IP per day trip into ip_transfer_limited_captcha_required', async () => {
    const s = await start({ ipTransferLimit: 3000 });
    const id = await put(s, randomBytes(2000));
    const me = '127.0.0.79';
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);
    const refused = await request(`${s.url}/api/file/${id}`, { from: me });
    expect(refused.status).toBe(403);
    expect(refused.json().value).toBe('ip_transfer_limited_captcha_required');
    expect(await limits(s, me)).toMatchObject({ transfer_limit: 3000, transfer_limit_used: 4000 });
    clock += 24 * 3600 * 1000;
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);
  });

  it('STOWAGE_IP_LIMIT_ACTION=slow: past the limit the download is slowed, not refused', async () => {
    const s = await start({ ipDownloadLimit: 1, ipLimitAction: 'slow', ipSpeedLimit: 20_000 });
    const body = randomBytes(60_000);
    const id = await put(s, body);
    const me = '127.0.0.80';
    // 60 000 bytes at 20 000 B/s take 2.9 s at least (slices of a tenth of a second's worth, the
    // first at once). The download within the limit must take well under that: the bound leaves a
    // loaded CI machine (the scale-out stack reads through s3rver) up to 2.5 s, where 0.8 s
    // against a 1 s slowdown was the tightest time bound in the suites.
    let t = Date.now();
    expect((await request(`${s.url}/api/file/${id}`, { from: me })).status).toBe(200);
    expect(Date.now() - t).toBeLessThan(2500);
    expect(await limits(s, me)).toMatchObject({ speed_limit: 20_000, download_limit_used: 1 });
    t = Date.now();
    const slow = await request(`${s.url}/api/file/${id}`, { from: me });
    expect(slow.status).toBe(200);
    expect(slow.body.equals(body)).toBe(true);
    expect(Date.now() - t).toBeGreaterThanOrEqual(2800);
  });
});
