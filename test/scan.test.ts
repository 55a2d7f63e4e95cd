import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';
import { request, solvedPayload } from './rules-helpers.js';
import { EICAR, EICAR_SIG, OWN_MARKER, OWN_SIG, startClamd, type Clamd } from './clamd.js';

/**
 * Virus scanning against a real clamd with our own signatures (EICAR and OWN_MARKER): uploads
 * through every dialect are flagged within seconds, the download rules answer for infected files,
 * the same bytes are scanned once, a file past StreamMaxLength is never called clean, and scans
 * wait for a stopped clamd and catch up when it is back. On the scale-out stack the bytes are
 * streamed from S3.
 */
let clamd: Clamd;
let s: TestServer;
let key: string;
let n = 0;
const stranger = () => `127.0.2.${10 + (n++ % 200)}`;

beforeAll(async () => {
  clamd = await startClamd();
  s = await startServer({ clamav: clamd.address, clamavSweepMs: 300, captchaDifficulty: 2000 });
  key = await createUserWithKey(s, 'alice');
}, 60_000);

afterAll(async () => {
  await s?.close();
  await clamd?.close();
});

/** The blob's stored result, polled until it has one (or `timeoutMs` passes: null). */
async function scanOf(
  server: TestServer,
  sha: string,
  timeoutMs = 5000,
): Promise<{ status: string | null; signature: string | null; engine: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await server.app.runtime.db
      .selectFrom('blobs')
      .select(['scan_status', 'scan_signature', 'scan_engine'])
      .where('key', '=', sha)
      .executeTakeFirstOrThrow();
    if (row.scan_status || Date.now() > deadline)
      return { status: row.scan_status, signature: row.scan_signature, engine: row.scan_engine };
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function info(id: string, from = stranger()) {
  return (await request(`${s.url}/api/file/${id}/info`, { from })).json();
}

async function putFile(name: string, body: Buffer, auth = true) {
  const r = await fetch(`${s.url}/api/file/${name}`, {
    method: 'PUT',
    body: new Uint8Array(body),
    headers: auth ? { authorization: basic(key) } : {},
  });
  expect(r.status).toBe(201);
  const j = (await r.json()) as { id: string };
  const i = (await s.app.runtime.core.files.get(j.id)).blobKey;
  return { id: j.id, sha: i };
}

async function pngWith(marker: string): Promise<Buffer> {
  const png = await sharp({
    create: { width: 32, height: 32, channels: 3, background: '#336699' },
  })
    .png()
    .toBuffer();
  return Buffer.concat([png, Buffer.from(marker)]);
}

describe('uploads through each dialect are scanned and flagged', () => {
  it('pixeldrain PUT (EICAR): strangers need the captcha, the owner and a solver get the file', async () => {
    const t0 = Date.now();
    const { id, sha } = await putFile('eicar.com', EICAR);
    const scan = await scanOf(s, sha);
    expect(scan.status).toBe('infected');
    expect(scan.signature).toBe(EICAR_SIG);
    expect(scan.engine).toMatch(/^ClamAV 1\./);
    expect(Date.now() - t0).toBeLessThan(5000);

    const fi = await info(id);
    expect(fi.abuse_type).toBe('malware');
    expect(fi.availability).toBe('virus_detected_captcha_required');
    expect(fi.availability_message).toMatch(/marked as malware by our scanning systems/);

    const from = stranger();
    for (const method of ['GET', 'HEAD']) {
      const r = await request(`${s.url}/api/file/${id}`, { from, method });
      expect(r.status).toBe(403);
      if (method === 'GET') expect(r.json().value).toBe('virus_detected_captcha_required');
    }
    // The owner (and only the owner, not anyone they let hotlink) downloads without a captcha.
    const own = await request(`${s.url}/api/file/${id}`, {
      from,
      headers: { authorization: basic(key) },
    });
    expect(own.status).toBe(200);
    expect(own.body.equals(EICAR)).toBe(true);
    const ownInfo = await request(`${s.url}/api/file/${id}/info`, {
      headers: { authorization: basic(key) },
    });
    expect(ownInfo.json().availability).toBe('');

    // A stranger who solves the captcha gets it (and keeps getting it: the grant).
    const payload = await solvedPayload(s.url);
    const solved = await request(`${s.url}/api/file/${id}?recaptcha_response=${payload}`, {
      from,
    });
    expect(solved.status).toBe(200);
    expect(solved.body.equals(EICAR)).toBe(true);
    expect((await request(`${s.url}/api/file/${id}`, { from })).status).toBe(200);
    // A bad payload is refused as such; other strangers still need their own captcha.
    const bad = await request(`${s.url}/api/file/${id}?recaptcha_response=bm9wZQ==`, {
      from: stranger(),
    });
    expect(bad.status).toBe(424);
    expect((await request(`${s.url}/api/file/${id}`, { from: stranger() })).status).toBe(403);
  });

  it('pixeldrain POST (multipart, anonymous; own signature)', async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob([`hello ${OWN_MARKER} bye ${randomBytes(8).toString('hex')}`]),
      'x.txt',
    );
    const r = await fetch(`${s.url}/api/file`, { method: 'POST', body: form });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as { id: string };
    const sha = (await s.app.runtime.core.files.get(id)).blobKey;
    const scan = await scanOf(s, sha);
    expect(scan).toMatchObject({ status: 'infected', signature: OWN_SIG });
    const dl = await request(`${s.url}/api/file/${id}`, { from: stranger() });
    expect(dl.status).toBe(403);
    expect(dl.json().value).toBe('virus_detected_captcha_required');
  });

  it('FileBin upload (own signature)', async () => {
    const form = new FormData();
    form.append(
      'file[1]',
      new Blob([`fb ${OWN_MARKER} ${randomBytes(8).toString('hex')}`]),
      'fb.txt',
    );
    form.append('apikey', key);
    const r = await fetch(`${s.url}/api/v2.2.0/file/upload`, { method: 'POST', body: form });
    const text = await r.text();
    expect(r.status, text).toBe(200);
    const [id] = (JSON.parse(text) as { data: { ids: string[] } }).data.ids;
    const sha = (await s.app.runtime.core.files.get(id!)).blobKey;
    expect((await scanOf(s, sha)).status).toBe('infected');
    expect((await request(`${s.url}/api/file/${id}`, { from: stranger() })).status).toBe(403);
    expect((await info(id!)).abuse_type).toBe('malware');
    // FileBin's own paths have no captcha: they do not serve the bytes, and point to the viewer.
    for (const path of [`/${id}`, `/${id}/`, `/${id}/plain`]) {
      const r = await request(`${s.url}${path}`, { from: stranger() });
      expect(r.status, path).toBe(403);
      expect(r.body.toString()).toContain(`marked as malware`);
      expect(r.body.toString()).toContain(`/u/${id}`);
    }
  });

  it('Chevereto upload (an image carrying the signature)', async () => {
    const img = await pngWith(`${OWN_MARKER}${randomBytes(8).toString('hex')}`);
    const r = await fetch(`${s.url}/api/1/upload`, {
      method: 'POST',
      body: new URLSearchParams({ source: img.toString('base64'), key }),
    });
    const text = await r.text();
    expect(r.status, text).toBe(200);
    const id = (JSON.parse(text) as { image: { id_encoded: string } }).image.id_encoded;
    const sha = (await s.app.runtime.core.files.get(id)).blobKey;
    expect((await scanOf(s, sha)).status).toBe('infected');
    expect((await request(`${s.url}/api/file/${id}`, { from: stranger() })).status).toBe(403);
  });
});

describe('scan results', () => {
  it('clean content is clean and served to anyone; a zip holding an infected file is refused', async () => {
    const clean = await putFile('clean.bin', randomBytes(300_000));
    expect((await scanOf(s, clean.sha)).status).toBe('clean');
    const fi = await info(clean.id);
    expect(fi.abuse_type).toBe('');
    expect(fi.availability).toBe('');
    expect((await request(`${s.url}/api/file/${clean.id}`, { from: stranger() })).status).toBe(200);

    const bad = await putFile(
      'bad.txt',
      Buffer.from(`${OWN_MARKER}-${randomBytes(4).toString('hex')}`),
    );
    expect((await scanOf(s, bad.sha)).status).toBe('infected');
    const zip = await request(`${s.url}/api/file/${clean.id},${bad.id}`, { from: stranger() });
    expect(zip.status).toBe(403);
    expect(zip.json().value).toBe('virus_detected_captcha_required');
  });

  it('identical bytes uploaded twice are scanned once', async () => {
    const scanning = s.app.runtime.core.scanning!;
    await scanning.idle();
    const before = scanning.counts.scans;
    const bytes = randomBytes(200_000);
    const [a, b] = await Promise.all([putFile('a.bin', bytes), putFile('b.bin', bytes, false)]);
    expect(a.sha).toBe(b.sha);
    expect((await scanOf(s, a.sha)).status).toBe('clean');
    await putFile('c.bin', bytes);
    await scanning.idle();
    await s.app.runtime.core.scanSweep!.runOnce();
    await scanning.idle();
    expect(scanning.counts.scans - before).toBe(1);
  });

  it('a file above clamd’s StreamMaxLength is unscanned, never clean', async () => {
    const big = await putFile('big.bin', randomBytes(1536 * 1024));
    const scan = await scanOf(s, big.sha);
    expect(scan.status).toBe('unscanned');
    expect(scan.signature).toMatch(/size limit exceeded/);
    // Not infected as far as anyone knows: served, and not marked.
    expect((await info(big.id)).abuse_type).toBe('');
  });

  it('clamd stopped: uploads go on, readiness reports it, scans catch up when it is back', async () => {
    await clamd.stop();
    try {
      const ready = await request(`${s.url}/api/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.json().checks).toMatchObject({ database: 'ok', clamav: 'down' });
      const up = await putFile(
        'while-down.txt',
        Buffer.from(`${OWN_MARKER} ${randomBytes(8).toString('hex')}`),
      );
      await s.app.runtime.core.scanning!.idle();
      expect((await scanOf(s, up.sha, 500)).status).toBeNull();
      expect((await info(up.id)).availability).toBe('');
      await clamd.start();
      // The sweep (every 300 ms here) finds it.
      expect((await scanOf(s, up.sha, 10_000)).status).toBe('infected');
      expect((await request(`${s.url}/api/health/ready`)).json().checks).toMatchObject({
        clamav: 'ok',
      });
    } finally {
      // Running again for the suites after this one (a no-op when it is).
      await clamd.start();
    }
  }, 30_000);
});

describe('STOWAGE_CLAMAV_ACTION=block', () => {
  let b: TestServer;
  let owner: string;
  beforeAll(async () => {
    b = await startServer({
      clamav: clamd.address,
      clamavAction: 'block',
      captchaDifficulty: 2000,
      metrics: true,
    });
    owner = await createUserWithKey(b, 'owner');
    await b.app.runtime.core.accounts.createUser('root', 'rootpassword', true);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
  });

  it('answers 451 to strangers, even with a captcha; the owner and admins download', async () => {
    const r = await fetch(`${b.url}/api/file/e.com`, {
      method: 'PUT',
      body: new Uint8Array(EICAR),
      headers: { authorization: basic(owner) },
    });
    const { id } = (await r.json()) as { id: string };
    const sha = (await b.app.runtime.core.files.get(id)).blobKey;
    expect((await scanOf(b, sha)).status).toBe('infected');
    const from = stranger();
    const refused = await request(`${b.url}/api/file/${id}`, { from });
    expect(refused.status).toBe(451);
    expect(refused.json()).toMatchObject({
      success: false,
      value: 'unavailable_for_legal_reasons',
      extra: { type: 'malware' },
    });
    const payload = await solvedPayload(b.url);
    expect(
      (await request(`${b.url}/api/file/${id}?recaptcha_response=${payload}`, { from })).status,
    ).toBe(451);
    const fi = (await request(`${b.url}/api/file/${id}/info`, { from })).json();
    expect(fi).toMatchObject({
      abuse_type: 'malware',
      availability: 'unavailable_for_legal_reasons',
    });
    expect(
      (await request(`${b.url}/api/file/${id}`, { headers: { authorization: basic(owner) } }))
        .status,
    ).toBe(200);
    const { key: adminKey } = await b.app.runtime.core.accounts.createKey('root', 't', '127.0.0.1');
    const admin = await request(`${b.url}/api/file/${id}`, {
      from,
      headers: { authorization: basic(adminKey) },
    });
    expect(admin.status).toBe(200);
    expect(admin.body.equals(EICAR)).toBe(true);
    // Monitoring: the scan and the refusals are counted.
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^stowage_virus_scans_total\{status="infected"\} 1$/m);
    expect(metrics).toMatch(
      /^stowage_malware_refusals_total\{value="unavailable_for_legal_reasons"\} 2$/m,
    );
  });
});
