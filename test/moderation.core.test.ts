import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/core/moderation/audit.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

/** Moderation through the core and its repositories (both stacks), with an injected clock. */
const DAY = 86_400_000;
let now = Date.UTC(2026, 0, 1);
let s: TestServer;
let key: string;

beforeAll(async () => {
  s = await startServer({}, undefined, { now: () => now });
  key = await createUserWithKey(s, 'owner');
});
afterAll(() => s.close());

const upload = async (content: string) => {
  const r = await fetch(`${s.url}/api/file/f.txt`, {
    method: 'PUT',
    body: content,
    headers: { authorization: basic(key) },
  });
  return ((await r.json()) as { id: string }).id;
};

describe('reporter addresses', () => {
  it('are replaced by their salted hash after 30 days (the leased job), newer ones kept', async () => {
    const { reports, reporterIps } = s.app.runtime.core;
    const id = await upload('reported twice');
    const old = await reports.create(
      id,
      { type: 'gore', description: '' },
      { ip: '192.0.2.50', userId: null },
    );
    now += 20 * DAY;
    const young = await reports.create(
      id,
      { type: 'gore', description: '' },
      { ip: '192.0.2.51', userId: null },
    );
    now += 10 * DAY + 1;
    expect(await reporterIps.runOnce()).toBe(1);
    const hashed = (await reports.get(old.id)).reporterIp;
    expect(hashed).toBe(await reports.hashIp('192.0.2.50'));
    expect(hashed).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashed).not.toContain('192.0.2.50');
    expect((await reports.get(young.id)).reporterIp).toBe('192.0.2.51');
    // Hashing again changes nothing; the hashed reporter is still recognised.
    expect(await reporterIps.runOnce()).toBe(0);
    await expect(
      reports.create(id, { type: 'gore', description: '' }, { ip: '192.0.2.50', userId: null }),
    ).rejects.toMatchObject({ code: 'already_reported' });
    now += 20 * DAY;
    expect(await reporterIps.runOnce()).toBe(1);
    expect((await reports.get(young.id)).reporterIp).toBe(await reports.hashIp('192.0.2.51'));
  });

  it('a client whose address was hashed gets resource_already_exists over HTTP', async () => {
    const { reports, reporterIps } = s.app.runtime.core;
    const id = await upload('reported from this host');
    const r = await reports.create(
      id,
      { type: 'gore', description: '' },
      { ip: '127.0.0.1', userId: null },
    );
    now += 31 * DAY;
    await reporterIps.runOnce();
    expect((await reports.get(r.id)).reporterIp).toMatch(/^sha256:/);
    const again = await fetch(`${s.url}/api/file/${id}/report_abuse`, {
      method: 'POST',
      body: new URLSearchParams({ type: 'gore' }),
    });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ value: 'resource_already_exists' });
  });
});

describe('blocks and the record cache', () => {
  it('a block made through another node reaches this one within the cache TTL (1 s)', async () => {
    const id = await upload('cached elsewhere');
    const files = s.app.runtime.core.files;
    expect((await files.get(id)).abuseType).toBeNull();
    // Another node blocks it: the row changes, this process's cache is not told.
    await s.app.runtime.db
      .updateTable('files')
      .set({ abuse_type: 'other', block_reason: 'x', blocked_at: now })
      .where('id', '=', id)
      .execute();
    expect((await files.get(id)).abuseType).toBeNull();
    now += 1001;
    expect((await files.get(id)).abuseType).toBe('other');
  });

  it('a hash block with block_files blocks every file holding the bytes', async () => {
    const a = await upload('same bytes everywhere');
    const b = await upload('same bytes everywhere');
    const { blocks, files } = s.app.runtime.core;
    const sha = (await files.get(a)).blobKey;
    expect(
      await blocks.blockHash(sha, 'bad', CLI_ACTOR, { blockFiles: true, type: 'malware' }),
    ).toBe(2);
    expect((await files.get(a)).abuseType).toBe('malware');
    expect((await files.get(b)).abuseType).toBe('malware');
    const { hashes } = await blocks.listHashes();
    expect(hashes[0]).toMatchObject({
      sha256: sha,
      reason: 'bad',
      createdBy: 'cli',
      createdAt: now,
    });
  });
});

describe('report resolution', () => {
  it('resolves the reports of a file deleted meanwhile (nothing to block)', async () => {
    const { reports, blocks } = s.app.runtime.core;
    const id = await upload('deleted before review');
    const r = await reports.create(
      id,
      { type: 'other', description: '' },
      { ip: '192.0.2.60', userId: null },
    );
    await blocks.deleteFile(id, 'spam', CLI_ACTOR);
    const done = await reports.resolve(r.id, 'block', CLI_ACTOR, 'late');
    expect(done).toMatchObject({ status: 'resolved', resolvedBy: 'cli', resolution: 'blocked' });
    const dismissed = await reports.resolve(r.id, 'dismiss', CLI_ACTOR);
    expect(dismissed.status).toBe('dismissed');
  });
});
